/* The engine's scan stage in C: the Aho-Corasick passes over a post and what consumes
 * their matches, without a Python tuple per match.
 *
 * ahocorasick_rs hands back a list of (key, start, end) tuples, and turning them into
 * phrase hits, the set of prefilter literals present and anchor starts cost as much again
 * in Python. Here one automaton walks the str's code points (PyUnicode_DATA, read by kind)
 * and the consumers read its matches as they come:
 *
 *   Automaton       keys -> find() (the reference's tuples), keys_in() (a frozenset of keys),
 *                   starts() ({key: [start, ...]}, for anchors.py)
 *   PhraseScanner   the checker's pass: PhraseHits.find's hits and present literals
 *   Admission       PrefilterIndex.admitted: which prefilters admit the post
 *   word_starts, sentence_ends, clause_ends   Post's positions of an ASCII text (post.py)
 *   sentence_count  readability.py's sentences of at least three words
 *   piece_tokens    metrics.py's screen of long sentences: the most tokens of a piece
 *
 * The Python code (phrase_hits.py, prefilter.py, anchors.py) stays the reference and the
 * fallback; tests/test_fastscan.py holds this to it answer for answer. Every object is
 * immutable once built and a call keeps its per-post state on its own stack or heap and
 * holds the GIL throughout, so gunicorn's threads may share one. Only Python.h.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================== Automaton */

/* A state as the walk reads it: one 32-byte record, so a visit is one cache line. States are
   numbered breadth first, so a state's children are consecutive (sorted by class) and the
   shallowest states, which own the dense rows, are 0 .. n_rows - 1. */
typedef struct {
    int32_t child, child_end;  /* its children: states child .. child_end - 1, by class */
    int32_t fail;              /* longest proper suffix that is a state */
    int32_t own, own_end;      /* the keys ending exactly here: own_keys[own .. own_end) */
    int32_t out;               /* next state down the fail chain that ends a key (0: none) */
    int32_t cls;               /* the class of the edge into it */
    uint32_t has_out;          /* HAS_OUT if it ends a key or has an out link, else 0 */
} Node;

/* A transition's target, with this bit set when the target has any match to report: a
   character reaching a state of none costs the one look-up. */
#define HAS_OUT 0x80000000u

typedef struct {
    PyObject_HEAD
    Py_ssize_t n_keys, n_states, n_classes;
    int32_t n_rows;          /* states below this have a row of `dense` */
    Py_ssize_t max_len;      /* the longest key's code points: the deepest state's depth */
    int32_t *key_len;        /* code points of each key: start = end - key_len */
    int32_t ascii_class[128];/* class of an ASCII code point; 0: in no key */
    Py_UCS4 *wide_cp;        /* the non-ASCII code points of the keys, ascending ... */
    int32_t *wide_class;     /* ... and their classes */
    Py_ssize_t n_wide;
    uint32_t *dense;         /* the shallow states' transitions, every class, fail links
                                followed: row s * n_classes, target | HAS_OUT */
    Node *node;              /* one per state (and a spare, zeroed) */
    int32_t *own_keys;
} Automaton;

/* The walk's tables, cache-line aligned: a state's record is then one line. Huge pages
   (madvise) were tried: a few us less on a cold post, but every table grows to whole 2 MB pages
   (~100 MB more in a process after twelve checkers), and a test run that built hundreds of
   checkers with them spent its time in the kernel; a worker reloading its rulebook does that. */
static void *
table_alloc(size_t size)
{
    void *p = NULL;
#if defined(_WIN32)
    p = malloc(size ? size : 1);
#else
    if (posix_memalign(&p, 64, size ? size : 1) != 0)
        return NULL;
#endif
    return p;
}

static int32_t
class_of(const Automaton *a, Py_UCS4 cp)
{
    if (cp < 128)
        return a->ascii_class[cp];
    Py_ssize_t lo = 0, hi = a->n_wide;  /* a handful of non-ASCII letters: bisect */
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (a->wide_cp[mid] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < a->n_wide && a->wide_cp[lo] == cp) ? a->wide_class[lo] : 0;
}

/* Aho-Corasick's goto, as target | HAS_OUT: follow fail links until some state has an edge
   for c. A shallow state (where the walk spends most of its time) answers in one look-up; a
   deeper one has one or two children, and a linear look over their records (read next
   anyway) beats a bisect. */
static inline uint32_t
step(const Automaton *a, int32_t s, int32_t c)
{
    while (s >= a->n_rows) {
        const Node *n = &a->node[s];
        for (int32_t t = n->child; t < n->child_end; t++) {
            const Node *m = &a->node[t];
            if (m->cls == c)
                return (uint32_t)t | m->has_out;
            if (m->cls > c)
                break;
        }
        s = n->fail;
    }
    return a->dense[(Py_ssize_t)s * a->n_classes + c];
}

/* One pass over a str, match by match: at each position the keys ending there, longest
   first (a state's own keys, then down its out links), as ahocorasick_rs reports them.
   The states come a chunk at a time, from two walks at once: the state after a character is
   the longest suffix of the text so far that is a state, at most max_len long, so a second
   walk started at the root max_len characters before the chunk's middle is exact from the
   middle on. Each step of a walk waits for the one before (a cache miss, cold); two
   independent walks overlap their misses. */
#define WALK_CHUNK 1024

typedef struct {
    const Automaton *a;
    int kind;
    const void *data;
    Py_ssize_t n;
    Py_ssize_t pos, len, j;  /* buf holds the states after text[pos .. pos + len); next: j */
    int32_t out;
    int32_t own_i, own_end;
    int32_t state;           /* after text[pos + len - 1] */
    uint32_t buf[WALK_CHUNK];/* target | HAS_OUT, as step() gives them */
} Walk;

static void
walk_init(Walk *w, const Automaton *a, PyObject *text)
{
    w->a = a;
    w->kind = PyUnicode_KIND(text);
    w->data = PyUnicode_DATA(text);
    w->n = PyUnicode_GET_LENGTH(text);
    w->pos = w->len = w->j = 0;
    w->out = 0;
    w->own_i = w->own_end = 0;
    w->state = 0;
}

/* The state after text[i] from state s (a character of no key: the root). */
static inline uint32_t
walk_step(const Automaton *a, int kind, const void *data, Py_ssize_t i, uint32_t s)
{
    int32_t c = class_of(a, PyUnicode_READ(kind, data, i));
    return c ? step(a, (int32_t)(s & ~HAS_OUT), c) : 0;
}

/* The states after the next chunk of the text. */
static void
walk_fill(Walk *w)
{
    const Automaton *a = w->a;
    int kind = w->kind;
    const void *data = w->data;
    Py_ssize_t p = w->pos + w->len, L = w->n - p, D = a->max_len;
    if (L > WALK_CHUNK)
        L = WALK_CHUNK;
    uint32_t *buf = w->buf;
    uint32_t s1 = (uint32_t)w->state, s2 = 0;
    Py_ssize_t k = 0;
    if (L >= 2 * D + 32) {
        Py_ssize_t h = (L + D) / 2, k2 = h - D;  /* walk 1: [0, h); walk 2: [h - D, L) */
        for (; k < h && k2 < L; k++, k2++) {
            s1 = buf[k] = walk_step(a, kind, data, p + k, s1);
            s2 = walk_step(a, kind, data, p + k2, s2);
            if (k2 >= h)
                buf[k2] = s2;
        }
        for (; k < h; k++)
            s1 = buf[k] = walk_step(a, kind, data, p + k, s1);
        for (; k2 < L; k2++)
            s2 = buf[k2] = walk_step(a, kind, data, p + k2, s2);
        s1 = s2;
    }
    else
        for (; k < L; k++)
            s1 = buf[k] = walk_step(a, kind, data, p + k, s1);
    w->state = (int32_t)(s1 & ~HAS_OUT);
    w->pos = p;
    w->len = L;
    w->j = 0;
}

/* The next match: its key and its end (exclusive); 0 at the end of the text. */
static int
walk_next(Walk *w, int32_t *key, Py_ssize_t *end)
{
    const Automaton *a = w->a;
    for (;;) {
        if (w->own_i < w->own_end) {
            *key = a->own_keys[w->own_i++];
            *end = w->pos + w->j;
            return 1;
        }
        if (w->out) {
            const Node *n = &a->node[w->out];
            w->own_i = n->own;
            w->own_end = n->own_end;
            w->out = n->out;
            continue;
        }
        if (w->j >= w->len) {
            if (w->pos + w->len >= w->n)
                return 0;
            walk_fill(w);
        }
        uint32_t t = w->buf[w->j++];
        if (t & HAS_OUT) {
            const Node *n = &a->node[t & ~HAS_OUT];
            w->own_i = n->own;
            w->own_end = n->own_end;
            w->out = n->out;
        }
    }
}

static int
is_str(PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "expected a str");
        return 0;
    }
    return PyUnicode_READY(text) == 0;
}

/* ---- building ---- */

static int
cmp_ucs4(const void *x, const void *y)
{
    Py_UCS4 a = *(const Py_UCS4 *)x, b = *(const Py_UCS4 *)y;
    return (a > b) - (a < b);
}

/* Number the distinct code points of the keys: the automaton's alphabet. */
static int
build_alphabet(Automaton *a, PyObject *keys, Py_ssize_t total)
{
    a->wide_cp = PyMem_Malloc(sizeof(Py_UCS4) * (total + 1));
    if (a->wide_cp == NULL)
        return -1;
    int32_t next = 1;
    Py_ssize_t n_wide = 0;
    for (Py_ssize_t k = 0; k < a->n_keys; k++) {
        PyObject *key = PyList_GET_ITEM(keys, k);
        int kind = PyUnicode_KIND(key);
        const void *data = PyUnicode_DATA(key);
        for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(key); i++) {
            Py_UCS4 cp = PyUnicode_READ(kind, data, i);
            if (cp < 128) {
                if (!a->ascii_class[cp])
                    a->ascii_class[cp] = next++;
            }
            else
                a->wide_cp[n_wide++] = cp;
        }
    }
    qsort(a->wide_cp, n_wide, sizeof(Py_UCS4), cmp_ucs4);
    Py_ssize_t u = 0;
    for (Py_ssize_t i = 0; i < n_wide; i++)
        if (u == 0 || a->wide_cp[u - 1] != a->wide_cp[i])
            a->wide_cp[u++] = a->wide_cp[i];
    a->n_wide = u;
    a->wide_class = PyMem_Malloc(sizeof(int32_t) * (u + 1));
    if (a->wide_class == NULL)
        return -1;
    for (Py_ssize_t i = 0; i < u; i++)
        a->wide_class[i] = next++;
    a->n_classes = next;
    return 0;
}

/* The trie, as first-child/next-sibling lists while it grows. */
typedef struct {
    int32_t *cls, *first, *sibling, *ends;  /* ends: keys ending at the node */
    int32_t n;
} Trie;

static int32_t
trie_child(Trie *t, int32_t node, int32_t c)
{
    for (int32_t ch = t->first[node]; ch >= 0; ch = t->sibling[ch])
        if (t->cls[ch] == c)
            return ch;
    int32_t ch = t->n++;
    t->cls[ch] = c;
    t->first[ch] = -1;
    t->ends[ch] = 0;
    t->sibling[ch] = t->first[node];
    t->first[node] = ch;
    return ch;
}

/* Insert every key; key_end[k] = the node where key k ends. */
static void
trie_fill(Automaton *a, Trie *t, PyObject *keys, int32_t *key_end)
{
    t->n = 1;
    t->first[0] = -1;
    t->ends[0] = 0;
    for (Py_ssize_t k = 0; k < a->n_keys; k++) {
        PyObject *key = PyList_GET_ITEM(keys, k);
        int kind = PyUnicode_KIND(key);
        const void *data = PyUnicode_DATA(key);
        int32_t node = 0;
        for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(key); i++)
            node = trie_child(t, node, class_of(a, PyUnicode_READ(kind, data, i)));
        key_end[k] = node;
        t->ends[node]++;
    }
}

/* The automaton while it is built, in the trie's numbering; compile() renumbers it. */
typedef struct {
    Py_ssize_t n;
    int32_t *root_next;      /* the root's transitions, dense by class (0: stay at the root) */
    int32_t *edge_start;     /* state -> its edges in edge_class/edge_next, sorted by class */
    int32_t *edge_class, *edge_next;
    int32_t *fail, *out_link;
    int32_t *own_start;      /* state -> the keys ending exactly there, in own_keys */
    int32_t *own_keys;
    int32_t *order;          /* the states breadth first, each node's children by class */
    int32_t *depth;
} Build;

static void
build_free(Build *b)
{
    PyMem_Free(b->root_next);
    PyMem_Free(b->edge_start);
    PyMem_Free(b->edge_class);
    PyMem_Free(b->edge_next);
    PyMem_Free(b->fail);
    PyMem_Free(b->out_link);
    PyMem_Free(b->own_start);
    PyMem_Free(b->own_keys);
    PyMem_Free(b->order);
    PyMem_Free(b->depth);
}

/* The trie's edges as sorted arrays, the root's dense, and each state's keys in key order. */
static int
freeze_edges(Automaton *a, Build *b, Trie *t, const int32_t *key_end)
{
    Py_ssize_t n = a->n_states = b->n = t->n;
    b->edge_start = PyMem_Calloc(n + 1, sizeof(int32_t));
    b->edge_class = PyMem_Malloc(sizeof(int32_t) * n);
    b->edge_next = PyMem_Malloc(sizeof(int32_t) * n);
    b->root_next = PyMem_Calloc(a->n_classes, sizeof(int32_t));
    b->own_start = PyMem_Calloc(n + 1, sizeof(int32_t));
    b->own_keys = PyMem_Malloc(sizeof(int32_t) * (a->n_keys + 1));
    if (!b->edge_start || !b->edge_class || !b->edge_next || !b->root_next || !b->own_start || !b->own_keys)
        return -1;
    int32_t e = 0;
    for (int32_t s = 0; s < n; s++) {
        b->edge_start[s] = e;
        int32_t first = e;
        for (int32_t ch = t->first[s]; ch >= 0; ch = t->sibling[ch]) {
            int32_t j = e++;  /* insertion sort by class: few edges per state */
            while (j > first && b->edge_class[j - 1] > t->cls[ch]) {
                b->edge_class[j] = b->edge_class[j - 1];
                b->edge_next[j] = b->edge_next[j - 1];
                j--;
            }
            b->edge_class[j] = t->cls[ch];
            b->edge_next[j] = ch;
            if (s == 0)
                b->root_next[t->cls[ch]] = ch;
        }
    }
    b->edge_start[n] = e;
    for (int32_t s = 0; s < n; s++)
        b->own_start[s + 1] = b->own_start[s] + t->ends[s];
    int32_t *fill = t->ends;  /* reused: the next free place of each state's keys */
    for (int32_t s = 0; s < n; s++)
        fill[s] = b->own_start[s];
    for (Py_ssize_t k = 0; k < a->n_keys; k++)
        b->own_keys[fill[key_end[k]]++] = (int32_t)k;
    return 0;
}

/* The goto while building, in the trie's numbering. */
static int32_t
build_step(const Build *b, int32_t s, int32_t c)
{
    for (;;) {
        if (s == 0)
            return b->root_next[c];
        for (int32_t e = b->edge_start[s]; e < b->edge_start[s + 1]; e++) {
            if (b->edge_class[e] == c)
                return b->edge_next[e];
            if (b->edge_class[e] > c)
                break;
        }
        s = b->fail[s];
    }
}

/* Fail and out links, breadth first: a state's fail is shallower than it. */
static int
link_fails(Build *b)
{
    Py_ssize_t n = b->n;
    b->order = PyMem_Malloc(sizeof(int32_t) * n);
    b->depth = PyMem_Calloc(n, sizeof(int32_t));
    b->fail = PyMem_Calloc(n, sizeof(int32_t));
    b->out_link = PyMem_Calloc(n, sizeof(int32_t));
    if (!b->order || !b->depth || !b->fail || !b->out_link)
        return -1;
    int32_t *queue = b->order;
    Py_ssize_t head = 0, tail = 0;
    queue[tail++] = 0;
    while (head < tail) {
        int32_t u = queue[head++];
        for (int32_t e = b->edge_start[u]; e < b->edge_start[u + 1]; e++) {
            int32_t v = b->edge_next[e];
            int32_t f = u == 0 ? 0 : build_step(b, b->fail[u], b->edge_class[e]);
            b->fail[v] = f;
            b->out_link[v] = b->own_start[f + 1] > b->own_start[f] ? f : b->out_link[f];
            b->depth[v] = b->depth[u] + 1;
            queue[tail++] = v;
        }
    }
    return 0;
}

/* The dense table's size: states of the first levels get a row each while the table stays
   under this many entries (4 MB at most; about 2.5 MB for the shipped rulebook). */
#define MAX_DENSE ((Py_ssize_t)1 << 20)

/* The walk's layout: states renumbered breadth first (a state's children, enqueued together,
   are then consecutive), one Node each, and the dense rows of the shallowest states, whole
   levels at a time: the root's first, then each one's from its fail's row, which comes
   before it. */
static int
compile(Automaton *a, const Build *b)
{
    Py_ssize_t n = b->n, C = a->n_classes;
    const int32_t *order = b->order;
    int32_t *id = PyMem_Malloc(sizeof(int32_t) * n);  /* trie numbering -> breadth first */
    a->node = table_alloc(sizeof(Node) * (n + 1));
    a->own_keys = PyMem_Malloc(sizeof(int32_t) * (a->n_keys + 1));
    int rc = -1;
    if (!id || !a->node || !a->own_keys)
        goto done;
    memset(a->node, 0, sizeof(Node) * (n + 1));
    for (Py_ssize_t r = 0; r < n; r++)
        id[order[r]] = (int32_t)r;
    int32_t own = 0;
    for (Py_ssize_t r = 0; r < n; r++) {
        int32_t u = order[r];
        Node *x = &a->node[r];
        int32_t e0 = b->edge_start[u], e1 = b->edge_start[u + 1];
        x->child = e1 > e0 ? id[b->edge_next[e0]] : 0;
        x->child_end = x->child + (e1 - e0);
        for (int32_t e = e0; e < e1; e++)
            a->node[id[b->edge_next[e]]].cls = b->edge_class[e];
        x->fail = id[b->fail[u]];
        x->out = id[b->out_link[u]];
        x->own = own;
        for (int32_t k = b->own_start[u]; k < b->own_start[u + 1]; k++)
            a->own_keys[own++] = b->own_keys[k];
        x->own_end = own;
        x->has_out = (x->own_end > x->own || x->out) ? HAS_OUT : 0;
    }
    a->node[n].child = a->node[n].child_end = 0;
    Py_ssize_t rows = 1;  /* whole levels while they fit */
    for (Py_ssize_t r = 1; r <= n; r++)
        if (r == n || b->depth[order[r]] != b->depth[order[r - 1]]) {
            if (r * C > MAX_DENSE)
                break;
            rows = r;
        }
    a->n_rows = (int32_t)rows;
    a->dense = table_alloc(sizeof(uint32_t) * (rows * C + 1));
    if (a->dense == NULL)
        goto done;
    for (Py_ssize_t r = 0; r < rows; r++) {
        uint32_t *row = a->dense + r * C;
        const Node *x = &a->node[r];
        if (r == 0)
            for (Py_ssize_t c = 0; c < C; c++)
                row[c] = 0;
        else
            memcpy(row, a->dense + (Py_ssize_t)x->fail * C, sizeof(uint32_t) * C);
        for (int32_t t = x->child; t < x->child_end; t++)
            row[a->node[t].cls] = (uint32_t)t | a->node[t].has_out;
    }
    rc = 0;
done:
    PyMem_Free(id);
    return rc;
}

static int
build_automaton(Automaton *a, PyObject *keys)
{
    Py_ssize_t total = 0;
    a->n_keys = PyList_GET_SIZE(keys);
    if (a->n_keys >= INT32_MAX / 2) {
        PyErr_SetString(PyExc_ValueError, "too many keys");
        return -1;
    }
    for (Py_ssize_t k = 0; k < a->n_keys; k++) {
        PyObject *key = PyList_GET_ITEM(keys, k);
        if (!is_str(key))
            return -1;
        if (PyUnicode_GET_LENGTH(key) == 0) {  /* would match everywhere; no engine key is empty */
            PyErr_SetString(PyExc_ValueError, "an empty key");
            return -1;
        }
        total += PyUnicode_GET_LENGTH(key);
    }
    if (total >= INT32_MAX / 2) {
        PyErr_SetString(PyExc_ValueError, "keys too long");
        return -1;
    }
    a->key_len = PyMem_Malloc(sizeof(int32_t) * (a->n_keys + 1));
    if (a->key_len == NULL || build_alphabet(a, keys, total) < 0)
        return -1;
    for (Py_ssize_t k = 0; k < a->n_keys; k++) {  /* each below total, below INT32_MAX / 2 */
        a->key_len[k] = (int32_t)PyUnicode_GET_LENGTH(PyList_GET_ITEM(keys, k));
        if (a->key_len[k] > a->max_len)
            a->max_len = a->key_len[k];
    }
    Trie t;
    Build b;
    memset(&b, 0, sizeof(b));
    Py_ssize_t cap = total + 1;
    t.cls = PyMem_Malloc(sizeof(int32_t) * cap);
    t.first = PyMem_Malloc(sizeof(int32_t) * cap);
    t.sibling = PyMem_Malloc(sizeof(int32_t) * cap);
    t.ends = PyMem_Malloc(sizeof(int32_t) * cap);
    int32_t *key_end = PyMem_Malloc(sizeof(int32_t) * (a->n_keys + 1));
    int rc = -1;
    if (t.cls && t.first && t.sibling && t.ends && key_end) {
        trie_fill(a, &t, keys, key_end);
        if (freeze_edges(a, &b, &t, key_end) == 0 && link_fails(&b) == 0)
            rc = compile(a, &b);
    }
    PyMem_Free(t.cls);
    PyMem_Free(t.first);
    PyMem_Free(t.sibling);
    PyMem_Free(t.ends);
    PyMem_Free(key_end);
    build_free(&b);
    if (rc < 0 && !PyErr_Occurred())
        PyErr_NoMemory();
    return rc;
}

static void
Automaton_dealloc(Automaton *a)
{
    PyMem_Free(a->key_len);
    PyMem_Free(a->wide_cp);
    PyMem_Free(a->wide_class);
    free(a->dense);  /* table_alloc's */
    free(a->node);
    PyMem_Free(a->own_keys);
    Py_TYPE(a)->tp_free((PyObject *)a);
}

static PyObject *
Automaton_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *keys;
    if (!PyArg_ParseTuple(args, "O!:Automaton", &PyList_Type, &keys))
        return NULL;
    Automaton *a = (Automaton *)type->tp_alloc(type, 0);  /* zeroed: dealloc frees what was made */
    if (a == NULL)
        return NULL;
    if (build_automaton(a, keys) < 0) {
        Py_DECREF(a);
        return NULL;
    }
    return (PyObject *)a;
}

/* ---- per post ---- */

static PyObject *
Automaton_find(Automaton *a, PyObject *text)
{
    if (!is_str(text))
        return NULL;
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    Walk w;
    walk_init(&w, a, text);
    int32_t k;
    Py_ssize_t end;
    while (walk_next(&w, &k, &end)) {
        PyObject *m = Py_BuildValue("(inn)", (int)k, end - a->key_len[k], end);
        if (m == NULL || PyList_Append(out, m) < 0) {
            Py_XDECREF(m);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(m);
    }
    return out;
}

/* A set of ints below a bound, as a bitmap and the list of its members: a post holds a few
   dozen of thousands, and the list spares a walk over all of them. */
typedef struct {
    uint8_t *bits;
    int32_t *list;
    Py_ssize_t n;
} Marks;

static int
marks_init(Marks *m, Py_ssize_t bound)
{
    m->n = 0;
    m->bits = PyMem_Calloc(bound / 8 + 1, 1);
    m->list = PyMem_Malloc(sizeof(int32_t) * (bound + 1));
    if (m->bits == NULL || m->list == NULL) {
        PyMem_Free(m->bits);
        PyMem_Free(m->list);
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void
marks_free(Marks *m)
{
    PyMem_Free(m->bits);
    PyMem_Free(m->list);
}

static inline int
marked(const uint8_t *bits, int32_t i)
{
    return (bits[i >> 3] >> (i & 7)) & 1;
}

static inline void
mark(Marks *m, int32_t i)
{
    if (!marked(m->bits, i)) {
        m->bits[i >> 3] |= (uint8_t)(1 << (i & 7));
        m->list[m->n++] = i;
    }
}

/* A frozenset of the marked ints. */
static PyObject *
frozenset_of_marks(const Marks *m)
{
    PyObject *out = PyFrozenSet_New(NULL);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < m->n; i++) {
        PyObject *v = PyLong_FromLong(m->list[i]);
        if (v == NULL || PySet_Add(out, v) < 0) {
            Py_XDECREF(v);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(v);
    }
    return out;
}

static PyObject *
Automaton_keys_in(Automaton *a, PyObject *text)
{
    if (!is_str(text))
        return NULL;
    Marks seen;
    if (marks_init(&seen, a->n_keys) < 0)
        return NULL;
    Walk w;
    walk_init(&w, a, text);
    int32_t k;
    Py_ssize_t end;
    while (walk_next(&w, &k, &end))
        mark(&seen, k);
    PyObject *out = frozenset_of_marks(&seen);
    marks_free(&seen);
    return out;
}

/* d[key].append(value), the list made on first use. */
static int
append_to(PyObject *d, Py_ssize_t key, PyObject *value)
{
    PyObject *k = PyLong_FromSsize_t(key);
    if (k == NULL)
        return -1;
    PyObject *list = PyDict_GetItemWithError(d, k);  /* borrowed */
    int rc = -1;
    if (list != NULL)
        rc = PyList_Append(list, value);
    else if (!PyErr_Occurred() && (list = PyList_New(0)) != NULL) {
        rc = PyList_Append(list, value) < 0 ? -1 : PyDict_SetItem(d, k, list);
        Py_DECREF(list);
    }
    Py_DECREF(k);
    return rc;
}

static PyObject *
Automaton_starts(Automaton *a, PyObject *text)
{
    if (!is_str(text))
        return NULL;
    PyObject *out = PyDict_New();
    if (out == NULL)
        return NULL;
    Walk w;
    walk_init(&w, a, text);
    int32_t k;
    Py_ssize_t end;
    while (walk_next(&w, &k, &end)) {
        PyObject *s = PyLong_FromSsize_t(end - a->key_len[k]);
        int rc = s == NULL ? -1 : append_to(out, k, s);
        Py_XDECREF(s);
        if (rc < 0) {
            Py_DECREF(out);
            return NULL;
        }
    }
    return out;
}

static PyMethodDef Automaton_methods[] = {
    {"find", (PyCFunction)Automaton_find, METH_O,
     "find(text) -> [(key, start, end)], every match, overlapping, in ahocorasick_rs's order."},
    {"keys_in", (PyCFunction)Automaton_keys_in, METH_O, "keys_in(text) -> frozenset of the keys found."},
    {"starts", (PyCFunction)Automaton_starts, METH_O,
     "starts(text) -> {key: [start, ...]} for each key found, starts ascending."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject AutomatonType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "server.engine._fastscan.Automaton",
    .tp_basicsize = sizeof(Automaton),
    .tp_dealloc = (destructor)Automaton_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Automaton(keys): Aho-Corasick over the code points of a list of non-empty str.",
    .tp_methods = Automaton_methods,
    .tp_new = Automaton_new,
};

/* ==================================================================== PhraseScanner */

typedef struct {
    PyObject_HEAD
    Automaton *automaton;
    PyObject *cased_slots;    /* (folded, key, start, end) -> slots, for a case-sensitive key */
    Py_ssize_t n_phrases, n_literals;
    uint8_t *needs_left, *needs_right, *cased;
    int32_t *slot_start, *slots;  /* phrase key -> its slots (case-insensitive keys) */
    int32_t *literal_of;      /* automaton key -> prefilter literal, -1 none */
} PhraseScanner;

/* phrase_hits._word_end: str.isalnum() or "_". */
static int
word_end(Py_UCS4 c)
{
    return c == '_' || Py_UNICODE_ISALNUM(c);
}

static int
read_int_list(PyObject *seq, Py_ssize_t n, int32_t *out, long lo, long hi)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        long v = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
        if (v == -1 && PyErr_Occurred())
            return -1;
        if (v < lo || v >= hi) {
            PyErr_SetString(PyExc_ValueError, "index out of range");
            return -1;
        }
        out[i] = (int32_t)v;
    }
    return 0;
}

/* Each phrase key's slots, flattened; None (a case-sensitive target) marks it cased. */
static int
read_slots(PhraseScanner *p, PyObject *slots)
{
    Py_ssize_t total = 0;
    for (Py_ssize_t k = 0; k < p->n_phrases; k++) {
        PyObject *t = PyList_GET_ITEM(slots, k);
        if (t != Py_None && !PyTuple_Check(t)) {
            PyErr_SetString(PyExc_TypeError, "slots: a tuple or None per phrase");
            return -1;
        }
        total += t == Py_None ? 0 : PyTuple_GET_SIZE(t);
    }
    p->slot_start = PyMem_Calloc(p->n_phrases + 1, sizeof(int32_t));
    p->slots = PyMem_Malloc(sizeof(int32_t) * (total + 1));
    p->cased = PyMem_Calloc(p->n_phrases + 1, 1);
    if (!p->slot_start || !p->slots || !p->cased) {
        PyErr_NoMemory();
        return -1;
    }
    int32_t at = 0;
    for (Py_ssize_t k = 0; k < p->n_phrases; k++) {
        PyObject *t = PyList_GET_ITEM(slots, k);
        p->slot_start[k] = at;
        if (t == Py_None)
            p->cased[k] = 1;
        else if (read_int_list(t, PyTuple_GET_SIZE(t), p->slots + at, 0, INT32_MAX) < 0)
            return -1;
        else
            at += (int32_t)PyTuple_GET_SIZE(t);
    }
    p->slot_start[p->n_phrases] = at;
    return 0;
}

static int
read_word_ends(PhraseScanner *p, PyObject *keys)
{
    p->needs_left = PyMem_Calloc(p->n_phrases + 1, 1);
    p->needs_right = PyMem_Calloc(p->n_phrases + 1, 1);
    if (!p->needs_left || !p->needs_right) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t k = 0; k < p->n_phrases; k++) {
        PyObject *key = PyList_GET_ITEM(keys, k);
        if (!is_str(key) || PyUnicode_GET_LENGTH(key) == 0) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "an empty key");
            return -1;
        }
        p->needs_left[k] = word_end(PyUnicode_READ_CHAR(key, 0));
        p->needs_right[k] = word_end(PyUnicode_READ_CHAR(key, PyUnicode_GET_LENGTH(key) - 1));
    }
    return 0;
}

/* cased_slots is a bound method of the PhraseHits that holds this scanner: a cycle, which
   only the collector can free, so it must see through us. */
static int
PhraseScanner_traverse(PhraseScanner *p, visitproc visit, void *arg)
{
    Py_VISIT(p->automaton);
    Py_VISIT(p->cased_slots);
    return 0;
}

static int
PhraseScanner_clear(PhraseScanner *p)
{
    Py_CLEAR(p->automaton);
    Py_CLEAR(p->cased_slots);
    return 0;
}

static void
PhraseScanner_dealloc(PhraseScanner *p)
{
    PyObject_GC_UnTrack(p);
    PhraseScanner_clear(p);
    PyMem_Free(p->needs_left);
    PyMem_Free(p->needs_right);
    PyMem_Free(p->cased);
    PyMem_Free(p->slot_start);
    PyMem_Free(p->slots);
    PyMem_Free(p->literal_of);
    Py_TYPE(p)->tp_free((PyObject *)p);
}

static PyObject *
PhraseScanner_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *automaton, *keys, *slots, *literal_of, *cased_slots;
    Py_ssize_t n_literals;
    if (!PyArg_ParseTuple(args, "O!O!O!O!nO:PhraseScanner", &AutomatonType, &automaton, &PyList_Type, &keys,
                          &PyList_Type, &slots, &PyList_Type, &literal_of, &n_literals, &cased_slots))
        return NULL;
    Automaton *a = (Automaton *)automaton;
    if (PyList_GET_SIZE(slots) != PyList_GET_SIZE(keys) || PyList_GET_SIZE(keys) > a->n_keys
        || PyList_GET_SIZE(literal_of) != a->n_keys || n_literals < 0 || n_literals >= INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "PhraseScanner: sizes do not agree");
        return NULL;
    }
    PhraseScanner *p = (PhraseScanner *)type->tp_alloc(type, 0);
    if (p == NULL)
        return NULL;
    Py_INCREF(automaton);
    p->automaton = a;
    Py_INCREF(cased_slots);
    p->cased_slots = cased_slots;
    p->n_phrases = PyList_GET_SIZE(keys);
    p->n_literals = n_literals;
    p->literal_of = PyMem_Malloc(sizeof(int32_t) * (a->n_keys + 1));
    if (p->literal_of == NULL) {
        Py_DECREF(p);
        return PyErr_NoMemory();
    }
    if (read_word_ends(p, keys) < 0 || read_slots(p, slots) < 0
        || read_int_list(literal_of, a->n_keys, p->literal_of, -1, n_literals) < 0) {
        Py_DECREF(p);
        return NULL;
    }
    return (PyObject *)p;
}

/* Is the match [s, e) of phrase key k a whole word where the phrase needs one? */
static int
bounded(const PhraseScanner *p, int kind, const void *data, Py_ssize_t n, int32_t k, Py_ssize_t s, Py_ssize_t e)
{
    if (s > 0 && p->needs_left[k] && word_end(PyUnicode_READ(kind, data, s - 1)))
        return 0;
    if (e < n && p->needs_right[k] && word_end(PyUnicode_READ(kind, data, e)))
        return 0;
    return 1;
}

/* Add the match [s, e) of key k to each slot it feeds; returns the hits added, -1 on error. */
static Py_ssize_t
add_hit(const PhraseScanner *p, PyObject *hits, PyObject *folded, int32_t k, Py_ssize_t s, Py_ssize_t e)
{
    PyObject *span = Py_BuildValue("(nn)", s, e);
    if (span == NULL)
        return -1;
    Py_ssize_t added = 0;
    if (p->cased[k]) {  /* rare: the original text decides, as phrase_hits.py reads it */
        PyObject *slots = PyObject_CallFunction(p->cased_slots, "Oinn", folded, (int)k, s, e);
        PyObject *fast = slots == NULL ? NULL : PySequence_Fast(slots, "slots must be a sequence");
        Py_XDECREF(slots);
        if (fast == NULL) {
            Py_DECREF(span);
            return -1;
        }
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast) && added >= 0; i++) {
            Py_ssize_t slot = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(fast, i));
            added = (slot == -1 && PyErr_Occurred()) || append_to(hits, slot, span) < 0 ? -1 : added + 1;
        }
        Py_DECREF(fast);
    }
    else {
        for (int32_t i = p->slot_start[k]; i < p->slot_start[k + 1] && added >= 0; i++)
            added = append_to(hits, p->slots[i], span) < 0 ? -1 : added + 1;
    }
    Py_DECREF(span);
    return added;
}

static PyObject *
PhraseScanner_find(PhraseScanner *p, PyObject *args)
{
    PyObject *folded, *text;
    int want_present;
    if (!PyArg_ParseTuple(args, "OOp:find", &folded, &text, &want_present) || !is_str(text))
        return NULL;
    const Automaton *a = p->automaton;
    if (a == NULL || p->cased_slots == NULL) {  /* cleared by the collector */
        PyErr_SetString(PyExc_RuntimeError, "PhraseScanner cleared");
        return NULL;
    }
    Marks present;
    if (marks_init(&present, want_present ? p->n_literals : 0) < 0)
        return NULL;
    PyObject *hits = PyDict_New();
    if (hits == NULL) {
        marks_free(&present);
        return NULL;
    }
    Walk w;
    walk_init(&w, a, text);
    int32_t k;
    Py_ssize_t end, total = 0;
    while (total >= 0 && walk_next(&w, &k, &end)) {
        if (want_present && p->literal_of[k] >= 0)
            mark(&present, p->literal_of[k]);
        Py_ssize_t start = end - a->key_len[k];
        if (k < p->n_phrases && bounded(p, w.kind, w.data, w.n, k, start, end)) {
            Py_ssize_t added = add_hit(p, hits, folded, k, start, end);
            total = added < 0 ? -1 : total + added;
        }
    }
    PyObject *found = NULL;
    if (total >= 0)
        found = want_present ? frozenset_of_marks(&present) : Py_NewRef(Py_None);
    marks_free(&present);
    if (found == NULL) {
        Py_DECREF(hits);
        return NULL;
    }
    return Py_BuildValue("(NNn)", hits, found, total);
}

static PyMethodDef PhraseScanner_methods[] = {
    {"find", (PyCFunction)PhraseScanner_find, METH_VARARGS,
     "find(folded, text, want_present) -> (hits, present, n_hits): PhraseHits.find's slot -> "
     "[(start, end)] over `text` (folded.folded), and the prefilter literals present "
     "(None unless want_present)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject PhraseScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "server.engine._fastscan.PhraseScanner",
    .tp_basicsize = sizeof(PhraseScanner),
    .tp_dealloc = (destructor)PhraseScanner_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)PhraseScanner_traverse,
    .tp_clear = (inquiry)PhraseScanner_clear,
    .tp_doc = "PhraseScanner(automaton, phrase_keys, slots, literal_of, n_literals, cased_slots).",
    .tp_methods = PhraseScanner_methods,
    .tp_new = PhraseScanner_new,
};

/* ======================================================================== Admission */

/* One prefilter's needs; the int lists are offsets into Admission.pool. */
typedef struct {
    int active;               /* 0: the pattern has no prefilter */
    int implied;              /* filed under its one need: a candidate is admitted */
    long digits;
    int non_ascii, upper_pair, words_needed;
    int32_t all_at, n_all;    /* literals that must all be present */
    int32_t groups_at, n_groups;
    int32_t words_at, n_words;
    int32_t choice_at, n_choice;/* (group id, first word, word count) triples */
    PyObject *exact;          /* tuple of str, or NULL */
    PyObject *cased;          /* tuple of ((literal, spellings), ...) per group, or NULL */
} Need;

typedef struct {
    PyObject_HEAD
    PyObject *specs;          /* what the needs were read from: keeps exact/cased alive */
    PyObject *words_of;       /* scan -> lower str (no non-ASCII word character) or frozenset */
    PyObject *word_strs;      /* tuple of the words, by id: what vocab_slots point at */
    Py_ssize_t n_literals, n_groups, n_pf, n_vocab;
    Need *needs;
    int32_t *pool;
    Py_ssize_t pool_n, pool_cap;
    int32_t *by_literal_at;   /* literal -> its prefilters in pool (n_literals + 1 offsets) */
    int32_t *in_groups_at;    /* literal -> its groups in pool */
    int32_t unfiled_at, n_unfiled;
    int32_t *vocab_slots;     /* hash table of the words: a word id, or -1 for an empty slot */
    size_t vocab_mask;        /* slots - 1, slots a power of two */
    Py_ssize_t vocab_min, vocab_max;  /* their shortest and longest: other runs are no word of it */
} Admission;

/* Append ints (a sequence) to the pool; returns their offset, -1 on error. */
static int32_t
pool_add(Admission *d, PyObject *seq, long hi, int32_t *count)
{
    PyObject *fast = PySequence_Fast(seq, "expected a sequence of int");
    if (fast == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    if (d->pool_n + n + 1 > d->pool_cap) {
        Py_ssize_t cap = (d->pool_n + n + 1) * 2;
        int32_t *grown = PyMem_Realloc(d->pool, sizeof(int32_t) * cap);
        if (grown == NULL) {
            Py_DECREF(fast);
            PyErr_NoMemory();
            return -1;
        }
        d->pool = grown;
        d->pool_cap = cap;
    }
    int32_t at = (int32_t)d->pool_n;
    int rc = read_int_list(fast, n, d->pool + at, 0, hi);
    Py_DECREF(fast);
    if (rc < 0)
        return -1;
    d->pool_n += n;
    *count = (int32_t)n;
    return at;
}

static int
pool_push(Admission *d, int32_t v)
{
    if (d->pool_n + 1 > d->pool_cap) {
        Py_ssize_t cap = (d->pool_n + 1) * 2;
        int32_t *grown = PyMem_Realloc(d->pool, sizeof(int32_t) * cap);
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        d->pool = grown;
        d->pool_cap = cap;
    }
    d->pool[d->pool_n++] = v;
    return 0;
}

/* The alternations that words may meet: ((group id, (word, ...)), ...). Their word
   lists go into the pool first, then one (group id, words at, count) triple each. */
static int
read_choices(Admission *d, Need *nd, PyObject *choices)
{
    PyObject *fast = PySequence_Fast(choices, "word_choices: a sequence");
    if (fast == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    int32_t *triples = PyMem_Malloc(sizeof(int32_t) * (3 * n + 1));
    int rc = triples == NULL ? -1 : 0;
    for (Py_ssize_t i = 0; i < n && rc == 0; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(fast, i);
        long gid = PyTuple_Check(item) && PyTuple_GET_SIZE(item) == 2 ? PyLong_AsLong(PyTuple_GET_ITEM(item, 0)) : -1;
        if (gid < 0 || gid >= d->n_groups) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "word_choices: (group id, words) pairs");
            rc = -1;
            break;
        }
        triples[3 * i] = (int32_t)gid;
        triples[3 * i + 1] = pool_add(d, PyTuple_GET_ITEM(item, 1), d->n_vocab, &triples[3 * i + 2]);
        rc = triples[3 * i + 1] < 0 ? -1 : 0;
    }
    nd->choice_at = (int32_t)d->pool_n;
    nd->n_choice = (int32_t)n;
    for (Py_ssize_t j = 0; j < 3 * n && rc == 0; j++)
        rc = pool_push(d, triples[j]);
    PyMem_Free(triples);
    Py_DECREF(fast);
    if (rc < 0 && !PyErr_Occurred())
        PyErr_NoMemory();
    return rc;
}

static int
tuple_of_str(PyObject *t)
{
    int ok = PyTuple_Check(t);
    for (Py_ssize_t i = 0; ok && i < PyTuple_GET_SIZE(t); i++)
        ok = PyUnicode_Check(PyTuple_GET_ITEM(t, i));
    if (!ok)
        PyErr_SetString(PyExc_TypeError, "expected a tuple of str");
    return ok;
}

/* cased_ok reads it without checks: ((literal, (spelling, ...)), ...) per group. */
static int
cased_shape(PyObject *cased)
{
    int ok = PyTuple_Check(cased);
    for (Py_ssize_t g = 0; ok && g < PyTuple_GET_SIZE(cased); g++) {
        PyObject *group = PyTuple_GET_ITEM(cased, g);
        ok = PyTuple_Check(group);
        for (Py_ssize_t j = 0; ok && j < PyTuple_GET_SIZE(group); j++) {
            PyObject *entry = PyTuple_GET_ITEM(group, j);
            ok = PyTuple_Check(entry) && PyTuple_GET_SIZE(entry) == 2 && PyLong_Check(PyTuple_GET_ITEM(entry, 0))
                 && tuple_of_str(PyTuple_GET_ITEM(entry, 1));
        }
    }
    if (!ok && !PyErr_Occurred())
        PyErr_SetString(PyExc_TypeError, "cased groups: ((literal, (spelling, ...)), ...) each");
    return ok;
}

/* A prefilter's spec: (all_idx, digits, non_ascii, upper_pair, groups, exact, cased,
   words, word_choices, implied), word_choices as ((group id, (word, ...)), ...). */
static int
read_need(Admission *d, Need *nd, PyObject *spec)
{
    PyObject *all, *groups, *exact, *cased, *words, *choices;
    int non_ascii, upper_pair, implied;
    if (!PyArg_ParseTuple(spec, "OlppOOOOOp", &all, &nd->digits, &non_ascii, &upper_pair, &groups, &exact,
                          &cased, &words, &choices, &implied))
        return -1;
    nd->active = 1;
    nd->non_ascii = non_ascii;
    nd->upper_pair = upper_pair;
    nd->implied = implied;
    if ((nd->all_at = pool_add(d, all, d->n_literals, &nd->n_all)) < 0
        || (nd->groups_at = pool_add(d, groups, d->n_groups, &nd->n_groups)) < 0
        || (nd->words_at = pool_add(d, words, d->n_vocab, &nd->n_words)) < 0)
        return -1;
    if (!tuple_of_str(exact) || !cased_shape(cased))
        return -1;
    /* held by the spec, which the Admission holds */
    nd->exact = PyTuple_GET_SIZE(exact) ? exact : NULL;
    nd->cased = PyTuple_GET_SIZE(cased) ? cased : NULL;
    if (read_choices(d, nd, choices) < 0)
        return -1;
    nd->words_needed = nd->n_words > 0 || nd->n_choice > 0;
    return 0;
}

/* FNV-1a over the code points of [s, e), ASCII capitals lower-cased as str.lower() does. */
static uint64_t
word_hash(int kind, const void *data, Py_ssize_t s, Py_ssize_t e)
{
    uint64_t h = 14695981039346656037ULL;
    for (Py_ssize_t i = s; i < e; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32 : c)) * 1099511628211ULL;
    }
    return h;
}

/* Is word v the run [s, e) lower-cased? */
static int
same_word(const Admission *d, int32_t v, int kind, const void *data, Py_ssize_t s, Py_ssize_t e)
{
    PyObject *w = PyTuple_GET_ITEM(d->word_strs, v);
    if (PyUnicode_GET_LENGTH(w) != e - s)
        return 0;
    const Py_UCS1 *chars = PyUnicode_1BYTE_DATA(w);  /* ASCII: read_vocab saw to it */
    for (Py_ssize_t i = s; i < e; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != chars[i - s])
            return 0;
    }
    return 1;
}

/* The id of the word that is the run [s, e) lower-cased, or -1. */
static int32_t
vocab_find(const Admission *d, int kind, const void *data, Py_ssize_t s, Py_ssize_t e)
{
    int32_t v;
    for (size_t at = word_hash(kind, data, s, e) & d->vocab_mask; (v = d->vocab_slots[at]) >= 0;
         at = (at + 1) & d->vocab_mask)
        if (same_word(d, v, kind, data, s, e))
            return v;
    return -1;
}

/* The words into one hash table, open addressing with at least half the slots empty.
   ASCII only: a non-ASCII word would need regex's \w here, and the Python path keeps it. */
static int
read_vocab(Admission *d, PyObject *words)
{
    d->n_vocab = PyTuple_GET_SIZE(words);
    if (d->n_vocab >= INT32_MAX / 4) {
        PyErr_SetString(PyExc_ValueError, "too many words");
        return -1;
    }
    size_t slots = 1;
    while (slots <= 2 * (size_t)d->n_vocab)
        slots <<= 1;
    if ((d->vocab_slots = PyMem_Malloc(sizeof(int32_t) * slots)) == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memset(d->vocab_slots, 0xff, sizeof(int32_t) * slots);  /* every slot -1 */
    d->vocab_mask = slots - 1;
    for (Py_ssize_t i = 0; i < d->n_vocab; i++) {
        PyObject *w = PyTuple_GET_ITEM(words, i);
        if (!is_str(w))
            return -1;
        Py_ssize_t n = PyUnicode_GET_LENGTH(w);
        const void *data = PyUnicode_DATA(w);
        if (!PyUnicode_IS_ASCII(w) || n == 0 || vocab_find(d, PyUnicode_1BYTE_KIND, data, 0, n) >= 0) {
            PyErr_SetString(PyExc_ValueError, "the words must be distinct, not empty, and ASCII");
            return -1;
        }
        size_t at = word_hash(PyUnicode_1BYTE_KIND, data, 0, n) & d->vocab_mask;
        while (d->vocab_slots[at] >= 0)
            at = (at + 1) & d->vocab_mask;
        d->vocab_slots[at] = (int32_t)i;
        d->vocab_min = i == 0 || n < d->vocab_min ? n : d->vocab_min;
        d->vocab_max = n > d->vocab_max ? n : d->vocab_max;
    }
    return 0;
}

/* Per literal, a list of ints (prefilter ids or group ids) into the pool. */
static int32_t *
read_per_literal(Admission *d, PyObject *lists, long hi)
{
    if (!PyList_Check(lists) || PyList_GET_SIZE(lists) != d->n_literals) {
        PyErr_SetString(PyExc_ValueError, "one list per literal expected");
        return NULL;
    }
    int32_t *at = PyMem_Malloc(sizeof(int32_t) * (d->n_literals + 1));
    if (at == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t k = 0; k < d->n_literals; k++) {
        int32_t n;
        at[k] = pool_add(d, PyList_GET_ITEM(lists, k), hi, &n);
        if (at[k] < 0) {
            PyMem_Free(at);
            return NULL;
        }
    }
    at[d->n_literals] = (int32_t)d->pool_n;  /* the next list's start ends the last one */
    return at;
}

static void
Admission_dealloc(Admission *d)
{
    Py_XDECREF(d->specs);
    Py_XDECREF(d->words_of);
    Py_XDECREF(d->word_strs);
    PyMem_Free(d->vocab_slots);
    PyMem_Free(d->needs);
    PyMem_Free(d->pool);
    PyMem_Free(d->by_literal_at);
    PyMem_Free(d->in_groups_at);
    Py_TYPE(d)->tp_free((PyObject *)d);
}

static int
read_needs(Admission *d, PyObject *specs)
{
    d->n_pf = PyTuple_GET_SIZE(specs);
    d->needs = PyMem_Calloc(d->n_pf + 1, sizeof(Need));
    if (d->needs == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < d->n_pf; i++) {
        PyObject *spec = PyTuple_GET_ITEM(specs, i);
        if (spec != Py_None && read_need(d, &d->needs[i], spec) < 0)
            return -1;
    }
    return 0;
}

/* by_literal and in_groups must each end where the next pool list begins: read
   each into its own run of the pool, one after the other. */
static int
read_index(Admission *d, PyObject *by_literal, PyObject *in_groups, PyObject *unfiled)
{
    if ((d->by_literal_at = read_per_literal(d, by_literal, d->n_pf)) == NULL)
        return -1;
    if ((d->in_groups_at = read_per_literal(d, in_groups, d->n_groups)) == NULL)
        return -1;
    d->unfiled_at = pool_add(d, unfiled, d->n_pf, &d->n_unfiled);
    return d->unfiled_at < 0 ? -1 : 0;
}

static PyObject *
Admission_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *specs, *by_literal, *in_groups, *unfiled, *words, *words_of;
    Py_ssize_t n_literals, n_groups;
    if (!PyArg_ParseTuple(args, "nnO!O!OOO!O:Admission", &n_literals, &n_groups, &PyList_Type, &specs,
                          &PyList_Type, &by_literal, &in_groups, &unfiled, &PyTuple_Type, &words, &words_of))
        return NULL;
    if (n_literals < 0 || n_groups < 0 || n_literals >= INT32_MAX || n_groups >= INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "Admission: bad sizes");
        return NULL;
    }
    Admission *d = (Admission *)type->tp_alloc(type, 0);
    if (d == NULL)
        return NULL;
    d->n_literals = n_literals;
    d->n_groups = n_groups;
    d->specs = PySequence_Tuple(specs);  /* a tuple: nothing can replace a spec whose str we read */
    Py_INCREF(words_of);
    d->words_of = words_of;
    Py_INCREF(words);
    d->word_strs = words;
    if (d->specs == NULL || read_vocab(d, words) < 0 || read_needs(d, d->specs) < 0 || read_index(d, by_literal, in_groups, unfiled) < 0) {
        Py_DECREF(d);
        return NULL;
    }
    return (PyObject *)d;
}

/* ---- per post: what the prefilters read, each worked out on first need ---- */

typedef struct {
    const Admission *d;
    PyObject *text, *scan;
    int kind;
    const void *data;
    Py_ssize_t n;
    Marks present;        /* the literals present */
    uint8_t *groups, *words, *candidate;  /* one block, freed by the caller */
    long digits;          /* -1: not counted yet */
    int upper_pair;       /* -1: not looked for yet */
    int groups_done, words_done;
} Post;

/* scan.digits: decimal digits (re's \d), as the identifier and phone matchers count them. */
static long
post_digits(Post *p)
{
    if (p->digits < 0) {
        long n = 0;
        for (Py_ssize_t i = 0; i < p->n; i++) {
            Py_UCS4 c = PyUnicode_READ(p->kind, p->data, i);
            n += c < 128 ? (c >= '0' && c <= '9') : Py_UNICODE_ISDECIMAL(c) != 0;
        }
        p->digits = n;
    }
    return p->digits;
}

/* scan.upper_pair: two ASCII capitals in a row ([A-Z]{2}). */
static int
post_upper_pair(Post *p)
{
    if (p->upper_pair < 0) {
        p->upper_pair = 0;
        int prev = 0;
        for (Py_ssize_t i = 0; i < p->n && !p->upper_pair; i++) {
            Py_UCS4 c = PyUnicode_READ(p->kind, p->data, i);
            int up = c >= 'A' && c <= 'Z';
            p->upper_pair = prev && up;
            prev = up;
        }
    }
    return p->upper_pair;
}

/* scan.groups: the alternations one of whose literals is present. */
static void
post_groups(Post *p)
{
    if (p->groups_done)
        return;
    p->groups_done = 1;
    const Admission *d = p->d;
    for (Py_ssize_t j = 0; j < p->present.n; j++) {
        int32_t k = p->present.list[j];
        for (int32_t i = d->in_groups_at[k]; i < d->in_groups_at[k + 1]; i++)
            p->groups[d->pool[i]] = 1;
    }
}

static int
is_word_byte(Py_UCS4 c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Mark the vocabulary words that are whole words of `lower`, read as prefilter._word_set's
   fast path does: runs of ASCII letters, digits and "_", lower-cased, anything else between
   words (the caller knows no non-ASCII character of it is a word character). */
static void
mark_words_ascii(Post *p, PyObject *lower)
{
    const Admission *d = p->d;
    int kind = PyUnicode_KIND(lower);
    const void *data = PyUnicode_DATA(lower);
    Py_ssize_t n = PyUnicode_GET_LENGTH(lower);
    for (Py_ssize_t i = 0; i < n;) {
        if (!is_word_byte(PyUnicode_READ(kind, data, i))) {
            i++;
            continue;
        }
        Py_ssize_t s = i;
        while (i < n && is_word_byte(PyUnicode_READ(kind, data, i)))
            i++;
        if (i - s > d->vocab_max || i - s < d->vocab_min)
            continue;
        int32_t v = vocab_find(d, kind, data, s, i);
        if (v >= 0)
            p->words[v] = 1;
    }
}

/* Mark the vocabulary words in a frozenset of the post's words (regex's \w split): each
   word of the post looked up in the table, as a post has far fewer words than the table. */
static int
mark_words_set(Post *p, PyObject *words)
{
    PyObject *it = PyObject_GetIter(words), *w;
    if (it == NULL)
        return -1;
    while ((w = PyIter_Next(it)) != NULL) {
        if (is_str(w)) {
            int32_t v = vocab_find(p->d, PyUnicode_KIND(w), PyUnicode_DATA(w), 0, PyUnicode_GET_LENGTH(w));
            if (v >= 0)
                p->words[v] = 1;
        }
        Py_DECREF(w);
        if (PyErr_Occurred())
            break;
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

/* scan.words, for the vocabulary only. An ASCII post is split here; another asks
   words_of(scan): its lower case when no non-ASCII character of it is a word character,
   else the frozenset of its words. */
static int
post_words(Post *p)
{
    if (p->words_done)
        return 0;
    p->words_done = 1;
    if (PyUnicode_IS_ASCII(p->text)) {
        mark_words_ascii(p, p->text);  /* ASCII: lower case is a byte test away */
        return 0;
    }
    PyObject *got = PyObject_CallOneArg(p->d->words_of, p->scan);
    if (got == NULL)
        return -1;
    int rc = 0;
    if (PyUnicode_Check(got) && PyUnicode_READY(got) == 0)
        mark_words_ascii(p, got);
    else
        rc = mark_words_set(p, got);
    Py_DECREF(got);
    return rc;
}

static int
all_marked(const uint8_t *marks, const int32_t *ids, int32_t n)
{
    for (int32_t i = 0; i < n; i++)
        if (!marks[ids[i]])
            return 0;
    return 1;
}

static int
contains(PyObject *text, PyObject *s)
{
    return PyUnicode_Contains(text, s);  /* -1 on error */
}

/* Every alternation of case-sensitive literals has a present literal written as it needs. */
static int
cased_ok(Post *p, PyObject *cased)
{
    for (Py_ssize_t g = 0; g < PyTuple_GET_SIZE(cased); g++) {
        PyObject *group = PyTuple_GET_ITEM(cased, g);
        int found = 0;
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(group) && !found; j++) {
            PyObject *entry = PyTuple_GET_ITEM(group, j);  /* (literal, spellings) */
            Py_ssize_t k = PyLong_AsSsize_t(PyTuple_GET_ITEM(entry, 0));
            if (k < 0 || k >= p->d->n_literals || !marked(p->present.bits, (int32_t)k))
                continue;
            PyObject *spellings = PyTuple_GET_ITEM(entry, 1);
            for (Py_ssize_t s = 0; s < PyTuple_GET_SIZE(spellings) && !found; s++)
                if ((found = contains(p->text, PyTuple_GET_ITEM(spellings, s))) < 0)
                    return -1;
        }
        if (!found)
            return 0;
    }
    return 1;
}

/* The whole words and word alternations; an alternation may be met by a literal of its group
   instead (an alternation of whole words only has the empty group, which no literal meets). */
static int
words_ok(Post *p, const Need *nd)
{
    if (post_words(p) < 0)
        return -1;
    const int32_t *pool = p->d->pool;
    if (!all_marked(p->words, pool + nd->words_at, nd->n_words))
        return 0;
    post_groups(p);
    for (int32_t i = 0; i < nd->n_choice; i++) {
        const int32_t *t = pool + nd->choice_at + 3 * i;  /* (group id, words at, count) */
        int32_t gid = t[0], at = t[1], n = t[2];
        int any = p->groups[gid];
        for (int32_t j = 0; j < n && !any; j++)
            any = p->words[pool[at + j]];
        if (!any)
            return 0;
    }
    return 1;
}

/* Prefilter.admits for a candidate: 1, 0, or -1 on error. The cheap tests first. */
static int
admits(Post *p, const Need *nd)
{
    const int32_t *all = p->d->pool + nd->all_at;
    for (int32_t i = 0; i < nd->n_all; i++)
        if (!marked(p->present.bits, all[i]))
            return 0;
    if (nd->digits && post_digits(p) < nd->digits)
        return 0;
    if (nd->non_ascii && PyUnicode_IS_ASCII(p->text))
        return 0;
    if (nd->upper_pair && !post_upper_pair(p))
        return 0;
    if (nd->n_groups) {
        post_groups(p);
        if (!all_marked(p->groups, p->d->pool + nd->groups_at, nd->n_groups))
            return 0;
    }
    for (Py_ssize_t i = 0; nd->exact != NULL && i < PyTuple_GET_SIZE(nd->exact); i++) {
        int in = contains(p->text, PyTuple_GET_ITEM(nd->exact, i));
        if (in <= 0)
            return in;
    }
    if (nd->cased != NULL) {
        int ok = cased_ok(p, nd->cased);
        if (ok <= 0)
            return ok;
    }
    return nd->words_needed ? words_ok(p, nd) : 1;
}

/* Mark the present literals (an iterable of ints) in p->present. */
static int
read_present(Post *p, PyObject *present)
{
    PyObject *it = PyObject_GetIter(present), *item;
    if (it == NULL)
        return -1;
    while ((item = PyIter_Next(it)) != NULL) {
        Py_ssize_t k = PyLong_AsSsize_t(item);
        Py_DECREF(item);
        if (k < 0 || k >= p->d->n_literals) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "a literal out of range");
            break;
        }
        mark(&p->present, (int32_t)k);
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

/* Test candidate i (once) and add it to out if admitted. */
static int
consider(Post *p, int32_t i, PyObject *out)
{
    if (p->candidate[i])
        return 0;
    p->candidate[i] = 1;
    const Need *nd = &p->d->needs[i];
    if (!nd->active)
        return 0;
    int ok = nd->implied ? 1 : admits(p, nd);
    if (ok <= 0)
        return ok;
    PyObject *v = PyLong_FromLong(i);
    int rc = v == NULL ? -1 : PySet_Add(out, v);
    Py_XDECREF(v);
    return rc;
}

/* The prefilters filed under a present literal, and the unfiled ones: the candidates. */
static int
consider_all(Post *p, PyObject *out)
{
    const Admission *d = p->d;
    for (int32_t j = 0; j < d->n_unfiled; j++)
        if (consider(p, d->pool[d->unfiled_at + j], out) < 0)
            return -1;
    for (Py_ssize_t i = 0; i < p->present.n; i++) {
        int32_t k = p->present.list[i];
        for (int32_t j = d->by_literal_at[k]; j < d->by_literal_at[k + 1]; j++)
            if (consider(p, d->pool[j], out) < 0)
                return -1;
    }
    return 0;
}

static PyObject *
Admission_admitted(Admission *d, PyObject *args)
{
    PyObject *present, *text, *scan;
    if (!PyArg_ParseTuple(args, "OOO:admitted", &present, &text, &scan) || !is_str(text))
        return NULL;
    Post p = {.d = d, .text = text, .scan = scan, .kind = PyUnicode_KIND(text), .data = PyUnicode_DATA(text),
              .n = PyUnicode_GET_LENGTH(text), .digits = -1, .upper_pair = -1};
    if (marks_init(&p.present, d->n_literals) < 0)
        return NULL;
    uint8_t *block = PyMem_Calloc(d->n_groups + d->n_vocab + d->n_pf + 1, 1);
    if (block == NULL) {
        marks_free(&p.present);
        return PyErr_NoMemory();
    }
    p.groups = block;
    p.words = p.groups + d->n_groups;
    p.candidate = p.words + d->n_vocab;
    PyObject *out = PySet_New(NULL);
    if (out != NULL && (read_present(&p, present) < 0 || consider_all(&p, out) < 0))
        Py_CLEAR(out);
    PyMem_Free(block);
    marks_free(&p.present);
    if (out == NULL)
        return NULL;
    PyObject *frozen = PyFrozenSet_New(out);
    Py_DECREF(out);
    return frozen;
}

static PyMethodDef Admission_methods[] = {
    {"admitted", (PyCFunction)Admission_admitted, METH_VARARGS,
     "admitted(present, text, scan) -> frozenset of the ids of the prefilters that admit the post "
     "(PrefilterIndex.admitted)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject AdmissionType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "server.engine._fastscan.Admission",
    .tp_basicsize = sizeof(Admission),
    .tp_dealloc = (destructor)Admission_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Admission(n_literals, n_groups, specs, by_literal, in_groups, unfiled, words, words_of).",
    .tp_methods = Admission_methods,
    .tp_new = Admission_new,
};

/* ======================================================================== positions */

/* Post.word_starts, sentence_ends and clause_ends (post.py) of an ASCII text: the starts of
   post.py's regexes' matches, found by finditer, without a match object each. On ASCII the
   `regex` module's \w is [A-Za-z0-9_] and its \s [\t\n\v\f\r ] (not \x1c-\x1f, which
   str.isspace() counts). None for a text that is not ASCII: post.py's regexes read it. */

static int
ascii_space(Py_UCS1 c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static int
append_int(PyObject *list, Py_ssize_t i)
{
    PyObject *v = PyLong_FromSsize_t(i);
    int rc = v == NULL ? -1 : PyList_Append(list, v);
    Py_XDECREF(v);
    return rc;
}

/* 1 for an ASCII str, 0 for another str (its positions are post.py's regexes' to find), -1
   with TypeError set for anything else. */
static int
ascii_text(PyObject *text)
{
    if (!is_str(text))
        return -1;
    return PyUnicode_IS_ASCII(text) ? 1 : 0;
}

/* _WORD = \w+: where each run of word characters starts. */
static PyObject *
word_starts(PyObject *module, PyObject *text)
{
    int ascii = ascii_text(text);
    if (ascii <= 0)
        return ascii < 0 ? NULL : Py_NewRef(Py_None);
    const Py_UCS1 *s = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0);
    for (Py_ssize_t i = 0; out != NULL && i < n;) {
        if (!is_word_byte(s[i])) {
            i++;
            continue;
        }
        if (append_int(out, i) < 0)
            Py_CLEAR(out);
        while (i < n && is_word_byte(s[i]))
            i++;
    }
    return out;
}

static int
is_stop(Py_UCS1 c)
{
    return c == '.' || c == '!' || c == '?';
}

/* (?=[\s"')\]]|$) at j. ($ also holds before a final newline, which \s reads anyway.) */
static int
ends_here(const Py_UCS1 *s, Py_ssize_t j, Py_ssize_t n)
{
    if (j == n)
        return 1;
    Py_UCS1 c = s[j];
    return ascii_space(c) || c == '"' || c == '\'' || c == ')' || c == ']';
}

/* _SENTENCE_END = [.!?]+(?=[\s"')\]]|$)|\n and, with `clauses`, _CLAUSE_END's further
   alternatives [,;:](?=\s) and \s[-\u2013\u2014]\s, tried in that order at each position as
   finditer does, the next search from the end of a match. A run of stops matches whole from
   its first stop or nowhere: a shorter run ends before another stop, which no look-ahead takes. */
static PyObject *
end_positions(PyObject *text, int clauses)
{
    int ascii = ascii_text(text);
    if (ascii <= 0)
        return ascii < 0 ? NULL : Py_NewRef(Py_None);
    const Py_UCS1 *s = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0);
    Py_ssize_t i = 0;
    while (out != NULL && i < n) {
        Py_UCS1 c = s[i];
        Py_ssize_t at = -1, next = i + 1;
        if (is_stop(c)) {
            Py_ssize_t j = i;
            while (j < n && is_stop(s[j]))
                j++;
            if (ends_here(s, j, n))
                at = i;
            next = j;  /* matched or not, no match starts inside the run */
        }
        else if (c == '\n')
            at = i;
        else if (clauses && (c == ',' || c == ';' || c == ':')) {
            if (i + 1 < n && ascii_space(s[i + 1]))
                at = i;
        }
        else if (clauses && ascii_space(c) && i + 2 < n && s[i + 1] == '-' && ascii_space(s[i + 2])) {
            at = i;
            next = i + 3;
        }
        if (at >= 0 && append_int(out, at) < 0)
            Py_CLEAR(out);
        i = next;
    }
    return out;
}

static PyObject *
sentence_ends(PyObject *module, PyObject *text)
{
    return end_positions(text, 0);
}

static PyObject *
clause_ends(PyObject *module, PyObject *text)
{
    return end_positions(text, 1);
}

/* ====================================================================== readability */

/* readability.py's sentence count before max(1, .): textstat's sentences (\b[^.!?]+[.!?]* as
   `re` finds them) less those of at most two words. A sentence is the rest of a piece between
   runs of [.!?] from its first word character, so this counts the pieces that hold three or
   more words: whitespace-separated tokens (str.isspace()) with a word character (`re`'s \w:
   str.isalnum() or "_"), which stripping leaves standing (readability._words). Any str kind. */
static PyObject *
sentence_count(PyObject *module, PyObject *text)
{
    if (!is_str(text))
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    long sentences = 0, words = 0;
    int has_word = 0;  /* the token being read has a word character */
    for (Py_ssize_t i = 0; i <= n; i++) {
        Py_UCS4 c = i < n ? PyUnicode_READ(kind, data, i) : '.';  /* the end closes a piece */
        int stop = c == '.' || c == '!' || c == '?';
        if (stop || Py_UNICODE_ISSPACE(c)) {
            words += has_word;
            has_word = 0;
            if (stop) {
                sentences += words >= 3;
                words = 0;
            }
        }
        else if (!has_word)
            has_word = c < 128 ? is_word_byte(c) : (Py_UNICODE_ISALNUM(c) || c == '_');
    }
    return PyLong_FromLong(sentences);
}

/* The most whitespace-separated tokens (str.split(), Py_UNICODE_ISSPACE) of any piece of the
   text between the characters ".", "!", "?" and newline: what metrics.sentence_words reads as
   max(map(len, map(str.split, _PIECES.split(text)))), without a list per piece (a regex
   split and a split of each piece were most of that rule's cost on every post). Any str kind. */
static PyObject *
piece_tokens(PyObject *module, PyObject *text)
{
    if (!is_str(text))
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), best = 0, tokens = 0;
    int in_token = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == '.' || c == '!' || c == '?' || c == '\n') {
            if (tokens > best)
                best = tokens;
            tokens = 0;
            in_token = 0;
        }
        else if (Py_UNICODE_ISSPACE(c))
            in_token = 0;
        else if (!in_token) {
            in_token = 1;
            tokens++;
        }
    }
    return PyLong_FromSsize_t(tokens > best ? tokens : best);
}

static PyMethodDef module_methods[] = {
    {"word_starts", word_starts, METH_O, "word_starts(text) -> [start of each \\w+ run], or None when text is not ASCII."},
    {"sentence_ends", sentence_ends, METH_O, "sentence_ends(text) -> post.py's _SENTENCE_END match starts, or None when not ASCII."},
    {"clause_ends", clause_ends, METH_O, "clause_ends(text) -> post.py's _CLAUSE_END match starts, or None when not ASCII."},
    {"sentence_count", sentence_count, METH_O,
     "sentence_count(text) -> textstat's sentences of text less those of at most two words (readability.py)."},
    {"piece_tokens", piece_tokens, METH_O,
     "piece_tokens(text) -> the most str.split() tokens of a piece between . ! ? and newlines (metrics.py)."},
    {NULL, NULL, 0, NULL},
};

/* =========================================================================== module */

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastscan", "The engine's automaton passes and what reads them, in C.", -1, module_methods,
};

static int
add_type(PyObject *m, PyTypeObject *type, const char *name)
{
    if (PyType_Ready(type) < 0)
        return -1;
    Py_INCREF(type);
    if (PyModule_AddObject(m, name, (PyObject *)type) < 0) {
        Py_DECREF(type);
        return -1;
    }
    return 0;
}

PyMODINIT_FUNC
PyInit__fastscan(void)
{
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (add_type(m, &AutomatonType, "Automaton") < 0 || add_type(m, &PhraseScannerType, "PhraseScanner") < 0
        || add_type(m, &AdmissionType, "Admission") < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
