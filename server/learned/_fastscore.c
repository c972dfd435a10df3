/* The scoring arithmetic of scorer.Analysis in one call, and what its explanations add.
 *
 * Numpy's per-call overhead on a post's few hundred terms, with cold caches, cost more
 * than the arithmetic itself (~8 numpy calls to count terms, then gathers and a matmul).
 * scorer.py's numpy path stays the reference: tests/test_fastscore.py pins this one
 * against it to 1e-12. Only Python.h and libm: nothing to install beyond a compiler.
 *
 * Explanations (the ~5% of posts a model rule flags) redid all of that in numpy and then
 * placed every term occurrence on its word in Python, ~200 us a post, the engine's p99:
 * contributions() credits each occurrence from the same counted terms score() uses, and
 * place() puts the post's units and clause breaks where the reference puts them.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    PyObject_HEAD
    /* Views held for the scorer's life: they keep the model's arrays alive and unresized,
       so the pointers stay valid. */
    Py_buffer idf, weights, intercepts;
    Py_ssize_t n_terms, n_heads, n_word_terms;
} Scorer;

/* ---- sorting ---- */

static void
insertion_sort(int64_t *a, Py_ssize_t n)
{
    for (Py_ssize_t i = 1; i < n; i++) {
        int64_t v = a[i];
        Py_ssize_t j = i;
        for (; j > 0 && a[j - 1] > v; j--)
            a[j] = a[j - 1];
        a[j] = v;
    }
}

/* Sorts a[0..n) by key using tmp (as long as a); returns whichever of the two holds the
   result. Each value is key << low, key in [0, limit), plus, when low > 0, a tag below it
   that rises through a (so the tags keep their order among equal keys, as the insertion
   sort of small arrays by whole value does too). LSD radix by bytes: a post's few hundred
   random keys cost a comparison sort a branch misprediction every other step; this costs
   two passes without any, and no post, however made, more. */
static int64_t *
radix_sort(int64_t *a, int64_t *tmp, Py_ssize_t n, int64_t limit, int low)
{
    if (n <= 32) {
        insertion_sort(a, n);
        return a;
    }
    for (int shift = low; shift < 64 && ((limit - 1) >> (shift - low)) != 0; shift += 8) {
        Py_ssize_t start[257] = {0};
        for (Py_ssize_t i = 0; i < n; i++)
            start[((a[i] >> shift) & 255) + 1]++;
        for (int d = 1; d < 256; d++)
            start[d] += start[d - 1];
        for (Py_ssize_t i = 0; i < n; i++)
            tmp[start[(a[i] >> shift) & 255]++] = a[i];
        int64_t *t = a;
        a = tmp;
        tmp = t;
    }
    return a;
}

/* Sorts keys in [0, limit); see radix_sort. */
static int64_t *
sort_keys(int64_t *a, int64_t *tmp, Py_ssize_t n, int64_t limit)
{
    return radix_sort(a, tmp, n, limit, 0);
}

/* ---- arithmetic ---- */

/* 1 + ln(count) for the counts most terms have: log costs more than the rest of a term. */
#define TF_TABLE 256
static double tf_table[TF_TABLE];

/* The rows of idf and weights a post reads are scattered over megabytes that the rest of a
   check has pushed out of the caches: asking for a row this many terms ahead overlaps the
   misses. Only the loads move earlier; the arithmetic and its order are unchanged. */
#define PREFETCH_AHEAD 8
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)0)  /* a hint only: compilers without it score the same */
#endif

/* Sorted a[0..n) → distinct keys in a[0..k), x[k] = (1 + ln count) * idf[key] (sublinear tf
   times idf) and, unless counts is NULL, counts[k]; returns k. */
static Py_ssize_t
tf_idf(int64_t *a, Py_ssize_t n, const double *idf, double *x, int64_t *counts)
{
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n;) {
        Py_ssize_t start = i;
        int64_t key = a[i];
        if (i + PREFETCH_AHEAD < n)
            PREFETCH(idf + a[i + PREFETCH_AHEAD]);
        while (i < n && a[i] == key)
            i++;
        a[k] = key;
        Py_ssize_t count = i - start;
        x[k] = (count < TF_TABLE ? tf_table[count] : 1.0 + log((double)count)) * idf[key];
        if (counts != NULL)
            counts[k] = count;
        k++;
    }
    return k;
}

/* L2-normalises x[from..to), as scikit-learn does each block; an empty block is left. */
static void
normalise(double *x, Py_ssize_t from, Py_ssize_t to)
{
    if (from >= to)
        return;
    double ss = 0.0;
    for (Py_ssize_t i = from; i < to; i++)
        ss += x[i] * x[i];
    double norm = sqrt(ss);
    for (Py_ssize_t i = from; i < to; i++)
        x[i] /= norm;
}

/* Sorted, counted terms → probabilities per head, as a tuple. */
static PyObject *
probabilities(Scorer *s, const int64_t *keys, const double *x, Py_ssize_t k, double *acc)
{
    const double *w = (const double *)s->weights.buf;
    const double *b = (const double *)s->intercepts.buf;
    Py_ssize_t h_n = s->n_heads;
    memset(acc, 0, (size_t)h_n * sizeof(double));
    for (Py_ssize_t i = 0; i < k; i++) {
        const double *row = w + keys[i] * h_n;
        double xi = x[i];
        if (i + PREFETCH_AHEAD < k) {  /* a row may straddle two cache lines */
            const double *next = w + keys[i + PREFETCH_AHEAD] * h_n;
            PREFETCH(next);
            PREFETCH(next + h_n - 1);
        }
        for (Py_ssize_t h = 0; h < h_n; h++)
            acc[h] += xi * row[h];
    }
    PyObject *out = PyTuple_New(h_n);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t h = 0; h < h_n; h++) {
        PyObject *p = PyFloat_FromDouble(1.0 / (1.0 + exp(-(b[h] + acc[h]))));
        if (p == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(out, h, p);
    }
    return out;
}

#define STACK_TERMS 1024  /* a post of up to this many terms needs no heap allocation */
#define STACK_HEADS 64

/* Sorted term indices → the distinct ones in keys[0..k), their tf-idf normalised per block in
   x and (unless NULL) their counts; returns k and sets *n_w, how many are word terms. */
static Py_ssize_t
vectorise(Scorer *s, int64_t *keys, Py_ssize_t n, double *x, int64_t *counts, Py_ssize_t *n_w)
{
    Py_ssize_t k = tf_idf(keys, n, (const double *)s->idf.buf, x, counts);
    Py_ssize_t w = 0;  /* word terms are numbered first, so they sort first */
    while (w < k && keys[w] < s->n_word_terms)
        w++;
    normalise(x, 0, w);
    normalise(x, w, k);
    *n_w = w;
    return k;
}

/* Sorted term indices → probabilities: the work of score() once its input is copied. */
static PyObject *
score_sorted(Scorer *s, int64_t *keys, Py_ssize_t n, double *x, double *acc)
{
    Py_ssize_t n_w;
    Py_ssize_t k = vectorise(s, keys, n, x, NULL, &n_w);
    return probabilities(s, keys, x, k, acc);
}

/* 0, or -1 with IndexError when a term index is outside the vocabulary. */
static int
check_keys(Scorer *s, const int64_t *keys, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        if ((uint64_t)keys[i] >= (uint64_t)s->n_terms) {
            PyErr_Format(PyExc_IndexError, "term index %lld out of range [0, %zd)", (long long)keys[i], s->n_terms);
            return -1;
        }
    }
    return 0;
}

static PyObject *
Scorer_score(Scorer *s, PyObject *raw)
{
    Py_buffer view;
    if (PyObject_GetBuffer(raw, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (view.len % 8) {
        PyBuffer_Release(&view);
        return PyErr_Format(PyExc_ValueError, "raw: %zd bytes, not int64s", view.len);
    }
    Py_ssize_t n = view.len / 8;
    int64_t key_stack[2 * STACK_TERMS];
    double x_stack[STACK_TERMS + STACK_HEADS];
    int64_t *keys = key_stack;  /* a copy (bytes are immutable and maybe unaligned), then room to sort */
    double *x = x_stack;        /* x, then the per-head sums */
    void *heap = NULL;
    if (n > STACK_TERMS || s->n_heads > STACK_HEADS) {
        heap = PyMem_Malloc(((size_t)(3 * n + s->n_heads)) * 8);
        if (heap == NULL) {
            PyBuffer_Release(&view);
            return PyErr_NoMemory();
        }
        keys = heap;
        x = (double *)(keys + 2 * n);
    }
    memcpy(keys, view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    PyObject *out = NULL;
    if (check_keys(s, keys, n) == 0)
        out = score_sorted(s, sort_keys(keys, keys + n, n, s->n_terms), n, x, x + n);
    PyMem_Free(heap);
    return out;
}

/* ---- explanations ---- */

/* The unit (word) or units an occurrence of a term is credited to: a, or -1 for none (the
   length band); b, the second word of a bigram, which takes half (-1: not a bigram). */
typedef struct {
    int a, b;
} Credit;

/* One chunk's record (scorer.Model._chunk_record writes it; a post's layout is its chunks'
   records joined, all int64 slots): its numbers of terms and of units, each unit's (start,
   end) in the chunk, then each of its terms' Credit in chunk units, in the order of its terms. */
typedef struct {
    Py_ssize_t n_terms, n_units;
    const int64_t *local;
    const Credit *codes;
} ChunkRec;

typedef struct {
    ChunkRec *chunks;  /* PyMem: free with PyMem_Free */
    Py_ssize_t n_chunks, n_units, n_terms;
} Layout;

/* Reads a post's layout; -1 with an exception when it is not a sequence of chunk records. */
static int
read_layout(Py_buffer *buf, Layout *lay)
{
    const int64_t *p = buf->buf;
    Py_ssize_t len = buf->len / 8, at = buf->len % 8 ? -1 : 0;  /* -1: not int64s, not read */
    lay->n_chunks = lay->n_units = lay->n_terms = 0;
    lay->chunks = PyMem_Malloc((size_t)(len / 2 + 1) * sizeof(ChunkRec));  /* a record has 2 slots or more */
    if (lay->chunks == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    while (at >= 0 && at + 2 <= len) {
        int64_t n_terms = p[at], n_units = p[at + 1];
        if (n_terms < 0 || n_units < 0 || n_terms > len || n_units > len || 2 * n_units + n_terms > len - at - 2)
            break;
        ChunkRec *c = &lay->chunks[lay->n_chunks++];
        c->n_terms = n_terms;
        c->n_units = n_units;
        c->local = p + at + 2;
        c->codes = (const Credit *)(p + at + 2 + 2 * n_units);
        at += 2 + 2 * n_units + n_terms;
        lay->n_units += n_units;
        lay->n_terms += n_terms;
    }
    if (at != len) {
        PyMem_Free(lay->chunks);
        PyErr_SetString(PyExc_ValueError, "layout: not a sequence of chunk records");
        return -1;
    }
    return 0;
}

/* The post's occurrences occ[0..n) → keys, the same sorted with repeats (for vectorise), and
   pos[i], the rank of occurrence i's term among the distinct keys: one sort of (term,
   occurrence) pairs instead of a binary search per occurrence. pairs: room for 2n. */
static void
rank_occurrences(const int64_t *occ, Py_ssize_t n, int64_t limit, int64_t *pairs, int64_t *keys, int64_t *pos)
{
    for (Py_ssize_t i = 0; i < n; i++)
        pairs[i] = occ[i] << 32 | i;
    const int64_t *sorted = radix_sort(pairs, pairs + n, n, limit, 32);
    Py_ssize_t d = -1;
    int64_t prev = -1;
    for (Py_ssize_t r = 0; r < n; r++) {
        int64_t key = sorted[r] >> 32;
        if (key != prev) {
            d++;
            prev = key;
        }
        keys[r] = key;
        pos[sorted[r] & 0xffffffff] = d;
    }
}

/* Per unit, kept apart so that each unit's total is summed in the reference's order
   (scorer.Analysis._numpy_contributions): its char grams in post order, then its unigram,
   the bigram it ends, the bigram it starts. */
typedef struct {
    double *grams, *uni, *ends, *starts;
    Py_ssize_t n_units, n_word_terms;
} Sums;

/* Adds one occurrence (key, per: its contribution) to its unit(s); -1 with ValueError when a
   unit is out of range. */
static int
credit(Sums *t, int64_t key, double per, Credit c, Py_ssize_t offset)
{
    if (c.a < 0)
        return 0;
    Py_ssize_t a = c.a + offset, b = c.b < 0 ? -1 : c.b + offset;
    if (a >= t->n_units || b >= t->n_units) {
        PyErr_SetString(PyExc_ValueError, "layout: a term credited to a unit out of range");
        return -1;
    }
    if (key >= t->n_word_terms)
        t->grams[a] += per;
    else if (b < 0)
        t->uni[a] += per;
    else {
        double half = per / 2;
        t->starts[a] += half;
        t->ends[b] += half;
    }
    return 0;
}

/* Credits the occurrences in post order: each chunk's own terms, then the tail's (the terms
   between chunks, in post units). keys[pos[i]], per[pos[i]]: occurrence i's term and share. */
static int
credit_all(Sums *t, const Layout *lay, const Credit *tail, Py_ssize_t n_tail, const int64_t *pos,
           const int64_t *keys, const double *per)
{
    Py_ssize_t i = 0, offset = 0;
    for (Py_ssize_t c = 0; c < lay->n_chunks; c++) {
        const ChunkRec *r = &lay->chunks[c];
        for (Py_ssize_t j = 0; j < r->n_terms; j++, i++)
            if (credit(t, keys[pos[i]], per[pos[i]], r->codes[j], offset) < 0)
                return -1;
        offset += r->n_units;
    }
    for (Py_ssize_t j = 0; j < n_tail; j++, i++)
        if (credit(t, keys[pos[i]], per[pos[i]], tail[j], 0) < 0)
            return -1;
    return 0;
}

/* Per unit, the sum of its parts as the reference adds them, into t->grams (each unit reads
   only its own parts); has_grams: the post has char grams (without any, the reference adds
   no zeros to the words' sums). Returns them as a list. */
static PyObject *
unit_list(Sums *t, int has_grams)
{
    PyObject *out = PyList_New(t->n_units);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t u = 0; u < t->n_units; u++) {
        double w = t->uni[u] + t->ends[u] + t->starts[u];
        t->grams[u] = has_grams ? t->grams[u] + w : w;
        PyObject *f = PyFloat_FromDouble(t->grams[u]);
        if (f == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, u, f);
    }
    return out;
}

typedef struct {
    double value;
    Py_ssize_t unit;
} Ranked;

static int
weightier_first(const void *p, const void *q)
{
    const Ranked *a = p, *b = q;
    if (a->value != b->value)
        return a->value > b->value ? -1 : 1;
    return (a->unit > b->unit) - (a->unit < b->unit);
}

/* The units with a positive contribution, the weightiest first (ties: the earlier unit), as
   the reference's sorted(key=(-contrib, i)) gives them. room: for n_units. */
static PyObject *
positive_order(const double *contrib, Py_ssize_t n_units, Ranked *room)
{
    Py_ssize_t m = 0;
    for (Py_ssize_t u = 0; u < n_units; u++)
        if (contrib[u] > 0)
            room[m++] = (Ranked){contrib[u], u};
    qsort(room, (size_t)m, sizeof(Ranked), weightier_first);
    PyObject *out = PyList_New(m);
    for (Py_ssize_t r = 0; out != NULL && r < m; r++) {
        PyObject *i = PyLong_FromSsize_t(room[r].unit);
        if (i == NULL)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, r, i);
    }
    return out;
}

/* contributions() once its arguments are read: one block of memory for every array. */
static PyObject *
contributions(Scorer *s, const int64_t *raw, Py_ssize_t n, const Layout *lay, const Credit *tail,
              Py_ssize_t head)
{
    Py_ssize_t n_units = lay->n_units;
    int64_t *occ = PyMem_Calloc((size_t)(8 * n + 6 * n_units + 1), 8);  /* Ranked: 2 slots a unit */
    if (occ == NULL)
        return PyErr_NoMemory();
    int64_t *pairs = occ + n, *keys = pairs + 2 * n, *pos = keys + n, *counts = pos + n;
    double *x = (double *)(counts + n), *per = x + n;
    Sums t = {per + n, per + n + n_units, per + n + 2 * n_units, per + n + 3 * n_units, n_units, s->n_word_terms};
    Ranked *room = (Ranked *)(per + n + 4 * n_units);
    PyObject *out = NULL, *contrib = NULL, *order = NULL;
    memcpy(occ, raw, (size_t)n * 8);
    if (check_keys(s, occ, n) < 0)
        goto done;
    rank_occurrences(occ, n, s->n_terms, pairs, keys, pos);
    Py_ssize_t n_w = 0, k = n ? vectorise(s, keys, n, x, counts, &n_w) : 0;
    const double *w = (const double *)s->weights.buf;
    for (Py_ssize_t i = 0; i < k; i++)  /* one occurrence's share: x_j * w_jh / count_j */
        per[i] = x[i] * w[keys[i] * s->n_heads + head] / (double)counts[i];
    if (credit_all(&t, lay, tail, n - lay->n_terms, pos, keys, per) < 0)
        goto done;
    contrib = unit_list(&t, n_w < k);
    order = contrib ? positive_order(t.grams, n_units, room) : NULL;
    if (order != NULL)
        out = PyTuple_Pack(2, contrib, order);
done:
    Py_XDECREF(contrib);
    Py_XDECREF(order);
    PyMem_Free(occ);
    return out;
}

/* NULL, or an error message when contributions()' arguments do not fit together. */
static const char *
misfit(Scorer *s, Py_buffer *raw, const Layout *lay, Py_buffer *tail, Py_ssize_t head)
{
    if (raw->len % 8 || tail->len % sizeof(Credit))
        return "raw: want int64s; tail: an int pair per term";
    if (lay->n_terms + tail->len / (Py_ssize_t)sizeof(Credit) != raw->len / 8)
        return "layout and tail: not one credit per term of raw";
    if (raw->len / 8 >= ((Py_ssize_t)1 << 31) || s->n_terms >= ((int64_t)1 << 31))
        return "raw: 2**31 terms or more";
    if (head < 0 || head >= s->n_heads)
        return "head: out of range";
    return NULL;
}

static PyObject *
Scorer_contributions(Scorer *s, PyObject *args)
{
    Py_buffer raw, layout, tail;
    Py_ssize_t head;
    if (!PyArg_ParseTuple(args, "y*y*y*n", &raw, &layout, &tail, &head))
        return NULL;
    PyObject *out = NULL;
    Layout lay;
    if (read_layout(&layout, &lay) == 0) {
        const char *why = misfit(s, &raw, &lay, &tail, head);
        if (why != NULL)
            PyErr_SetString(PyExc_ValueError, why);
        else
            out = contributions(s, raw.buf, raw.len / 8, &lay, tail.buf, head);
        PyMem_Free(lay.chunks);
    }
    PyBuffer_Release(&raw);
    PyBuffer_Release(&layout);
    PyBuffer_Release(&tail);
    return out;
}

/* ---- where units are ---- */

/* Start of each chunk of folded (a run of non-whitespace: features.CHUNK, whose \s is this
   same test) into starts[0..n_chunks); -1 with ValueError when folded has another number. */
static int
chunk_starts(int kind, const void *data, Py_ssize_t len, Py_ssize_t *starts, Py_ssize_t n_chunks)
{
    Py_ssize_t c = 0;
    int space = 1;
    for (Py_ssize_t i = 0; i < len; i++) {
        int now = Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i));
        if (space && !now) {
            if (c < n_chunks)
                starts[c] = i;
            c++;
        }
        space = now;
    }
    if (c != n_chunks) {
        PyErr_Format(PyExc_ValueError, "folded: %zd chunks, layout: %zd", c, n_chunks);
        return -1;
    }
    return 0;
}

static int
is_break(Py_UCS4 c)
{
    return c < 128 && c && strchr(".,;:!?()[]\"\n", (int)c) != NULL;
}

/* The matches of scorer._CLAUSE_BREAK, [.,;:!?()\[\]"\n]|\s[-/|]\s (\s: Py_UNICODE_ISSPACE,
   as re reads it), over folded, as finditer finds them (left to right, the first alternative
   first, never overlapping), into br as (start, end) pairs (room for len pairs); returns their
   number. tests/test_fastscore.py pins this against the pattern. */
static Py_ssize_t
clause_breaks(int kind, const void *data, Py_ssize_t len, Py_ssize_t *br)
{
    Py_ssize_t m = 0;
    for (Py_ssize_t p = 0; p < len;) {
        Py_UCS4 c = PyUnicode_READ(kind, data, p);
        Py_ssize_t end = p;
        if (is_break(c))
            end = p + 1;
        else if (Py_UNICODE_ISSPACE(c) && p + 2 < len && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, p + 2))) {
            Py_UCS4 d = PyUnicode_READ(kind, data, p + 1);
            if (d == '-' || d == '/' || d == '|')
                end = p + 3;
        }
        if (end > p) {
            br[2 * m] = p;
            br[2 * m + 1] = end;
            m++;
            p = end;
        }
        else
            p++;
    }
    return m;
}

/* pos[2u], pos[2u + 1]: unit u's start and end in the post. */
static void
unit_positions(const Layout *lay, const Py_ssize_t *starts, Py_ssize_t *pos)
{
    Py_ssize_t u = 0;
    for (Py_ssize_t c = 0; c < lay->n_chunks; c++) {
        const ChunkRec *r = &lay->chunks[c];
        for (Py_ssize_t j = 0; j < r->n_units; j++, u++) {
            pos[2 * u] = starts[c] + r->local[2 * j];
            pos[2 * u + 1] = starts[c] + r->local[2 * j + 1];
        }
    }
}

/* A list of n pairs (pos[2i], pos[2i + 1]) as tuples. */
static PyObject *
pair_list(const Py_ssize_t *pos, Py_ssize_t n)
{
    PyObject *out = PyList_New(n);
    for (Py_ssize_t i = 0; out != NULL && i < n; i++) {
        PyObject *a = PyLong_FromSsize_t(pos[2 * i]), *b = PyLong_FromSsize_t(pos[2 * i + 1]);
        PyObject *t = (a && b) ? PyTuple_Pack(2, a, b) : NULL;
        Py_XDECREF(a);
        Py_XDECREF(b);
        if (t == NULL)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, i, t);
    }
    return out;
}

/* Per gap between units k and k + 1, whether no clause break lies wholly inside it: the
   reference's one pass (scorer.Analysis._clause_joins) over the breaks, in order. */
static PyObject *
clause_joins(const Py_ssize_t *pos, Py_ssize_t n_units, const Py_ssize_t *br, Py_ssize_t n_breaks)
{
    PyObject *out = PyList_New(n_units > 0 ? n_units - 1 : 0);
    Py_ssize_t j = 0;
    for (Py_ssize_t k = 0; out != NULL && k + 1 < n_units; k++) {
        Py_ssize_t gap_start = pos[2 * k + 1], gap_end = pos[2 * (k + 1)];
        while (j < n_breaks && br[2 * j] < gap_start)
            j++;
        PyObject *b = (j < n_breaks && br[2 * j + 1] <= gap_end) ? Py_False : Py_True;
        Py_INCREF(b);
        PyList_SET_ITEM(out, k, b);
    }
    return out;
}

/* place() once the layout is read. */
static PyObject *
place_units(PyObject *folded, const Layout *lay)
{
    int kind = PyUnicode_KIND(folded);
    const void *data = PyUnicode_DATA(folded);
    Py_ssize_t len = PyUnicode_GET_LENGTH(folded), n_units = lay->n_units;
    Py_ssize_t *starts = PyMem_Malloc((size_t)(lay->n_chunks + 2 * n_units + 2 * len + 1) * sizeof(Py_ssize_t));
    if (starts == NULL)
        return PyErr_NoMemory();
    Py_ssize_t *pos = starts + lay->n_chunks, *br = pos + 2 * n_units;
    PyObject *out = NULL, *units = NULL, *joins = NULL;
    if (chunk_starts(kind, data, len, starts, lay->n_chunks) == 0) {
        unit_positions(lay, starts, pos);
        units = pair_list(pos, n_units);
        joins = units ? clause_joins(pos, n_units, br, clause_breaks(kind, data, len, br)) : NULL;
        if (joins != NULL)
            out = PyTuple_Pack(2, units, joins);
    }
    Py_XDECREF(units);
    Py_XDECREF(joins);
    PyMem_Free(starts);
    return out;
}

static PyObject *
place(PyObject *module, PyObject *args)
{
    PyObject *folded;
    Py_buffer layout;
    if (!PyArg_ParseTuple(args, "Uy*", &folded, &layout))
        return NULL;
    PyObject *out = NULL;
    Layout lay;
    if (read_layout(&layout, &lay) == 0) {
        out = place_units(folded, &lay);
        PyMem_Free(lay.chunks);
    }
    PyBuffer_Release(&layout);
    return out;
}

/* breaks(folded) -> the clause breaks' spans, for tests/test_fastscore.py to pin against the
   pattern. */
static PyObject *
breaks(PyObject *module, PyObject *folded)
{
    if (!PyUnicode_Check(folded))
        return PyErr_Format(PyExc_TypeError, "folded: want a str");
    Py_ssize_t len = PyUnicode_GET_LENGTH(folded);
    Py_ssize_t *br = PyMem_Malloc((size_t)(2 * len + 1) * sizeof(Py_ssize_t));
    if (br == NULL)
        return PyErr_NoMemory();
    Py_ssize_t m = clause_breaks(PyUnicode_KIND(folded), PyUnicode_DATA(folded), len, br);
    PyObject *out = pair_list(br, m);
    PyMem_Free(br);
    return out;
}

/* ---- the type ---- */

static int
get_float64(PyObject *obj, Py_buffer *view, int ndim, const char *name)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    const char *f = view->format;
    if (f[0] == '<' || f[0] == '=' || f[0] == '@')
        f++;
    if (view->ndim != ndim || view->itemsize != 8 || strcmp(f, "d") != 0) {
        PyErr_Format(PyExc_ValueError, "%s: want a C-contiguous float64 array of %d dimension(s)", name, ndim);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static void
Scorer_dealloc(Scorer *s)
{
    if (s->idf.obj)
        PyBuffer_Release(&s->idf);
    if (s->weights.obj)
        PyBuffer_Release(&s->weights);
    if (s->intercepts.obj)
        PyBuffer_Release(&s->intercepts);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyObject *
Scorer_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"idf", "weights", "intercepts", "n_word_terms", NULL};
    PyObject *idf, *weights, *intercepts;
    Py_ssize_t n_word_terms;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOn", kwlist, &idf, &weights, &intercepts, &n_word_terms))
        return NULL;
    Scorer *s = (Scorer *)type->tp_alloc(type, 0);  /* zeroed: dealloc sees which views are held */
    if (s == NULL)
        return NULL;
    if (get_float64(idf, &s->idf, 1, "idf") < 0 || get_float64(weights, &s->weights, 2, "weights") < 0
        || get_float64(intercepts, &s->intercepts, 1, "intercepts") < 0)
        goto fail;
    s->n_terms = s->idf.shape[0];
    s->n_heads = s->intercepts.shape[0];
    s->n_word_terms = n_word_terms;
    if (s->weights.shape[0] != s->n_terms || s->weights.shape[1] != s->n_heads) {
        PyErr_Format(PyExc_ValueError, "weights: shape (%zd, %zd), want (%zd, %zd)",
                     s->weights.shape[0], s->weights.shape[1], s->n_terms, s->n_heads);
        goto fail;
    }
    return (PyObject *)s;
fail:
    Py_DECREF(s);
    return NULL;
}

static PyMethodDef Scorer_methods[] = {
    {"score", (PyCFunction)Scorer_score, METH_O,
     "score(raw) -> tuple of probabilities in head order; raw: the post's term indices as "
     "native int64 bytes, with repeats."},
    {"contributions", (PyCFunction)Scorer_contributions, METH_VARARGS,
     "contributions(raw, layout, tail, head) -> (per unit, its share of the head's logit; the "
     "units with a positive share, weightiest first). layout: the post's chunk records "
     "(scorer.Model._chunk_record); tail: the units of the terms after the chunks' (int pairs)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScorerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "server.learned._fastscore.Scorer",
    .tp_basicsize = sizeof(Scorer),
    .tp_dealloc = (destructor)Scorer_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Scorer(idf, weights, intercepts, n_word_terms): a model's arrays, held.",
    .tp_methods = Scorer_methods,
    .tp_new = Scorer_new,
};

/* ---- a post's terms from its chunks (scorer.Analysis.__init__) ---- */

/* Where the fields of scorer._Chunk lie in its instances (__slots__ members), so joining a
   post's ~50 chunks reads them directly: the Python loop over them cost as much as scoring. */
static PyTypeObject *chunk_type = NULL;
static Py_ssize_t chunk_off[4];  /* terms, first, follow, n_words */

static PyObject *
set_chunk_type(PyObject *self, PyObject *type)
{
    static const char *names[4] = {"terms", "first", "follow", "n_words"};
    if (!PyType_Check(type))
        return PyErr_Format(PyExc_TypeError, "set_chunk_type: a type, not %R", type);
    Py_ssize_t off[4];
    for (int i = 0; i < 4; i++) {
        PyObject *d = PyObject_GetAttrString(type, names[i]);
        if (d == NULL)
            return NULL;
        int ok = PyObject_TypeCheck(d, &PyMemberDescr_Type)
                 && ((PyMemberDescrObject *)d)->d_member->type == T_OBJECT_EX;
        if (ok)
            off[i] = ((PyMemberDescrObject *)d)->d_member->offset;
        Py_DECREF(d);
        if (!ok)
            return PyErr_Format(PyExc_TypeError, "set_chunk_type: %s is no __slots__ member", names[i]);
    }
    Py_INCREF(type);
    Py_XSETREF(chunk_type, (PyTypeObject *)type);
    memcpy(chunk_off, off, sizeof off);
    Py_RETURN_NONE;
}

#define CHUNK_FIELD(e, i) (*(PyObject **)((char *)(e) + chunk_off[i]))

/* One chunk entry's fields, checked; 0 with an exception when it is not a filled _Chunk. */
static int
chunk_fields(PyObject *e, PyObject **terms, PyObject **first, PyObject **follow, Py_ssize_t *n_words)
{
    if (chunk_type == NULL || Py_TYPE(e) != chunk_type) {
        PyErr_Format(PyExc_TypeError, "join_chunks: %R is not a chunk entry", e);
        return 0;
    }
    *terms = CHUNK_FIELD(e, 0);
    *first = CHUNK_FIELD(e, 1);
    *follow = CHUNK_FIELD(e, 2);
    PyObject *n = CHUNK_FIELD(e, 3);
    if (*terms == NULL || *first == NULL || *follow == NULL || n == NULL || !PyBytes_Check(*terms)
        || !PyLong_Check(n) || (*follow != Py_None && !PyDict_Check(*follow))) {
        PyErr_SetString(PyExc_TypeError, "join_chunks: a chunk entry is not filled in");
        return 0;
    }
    *n_words = PyLong_AsSsize_t(n);
    return *n_words >= 0 || !PyErr_Occurred();
}

/* join_chunks(entries) -> (raw, n_words): scorer._joined_terms in one pass. */
static PyObject *
join_chunks(PyObject *self, PyObject *entries)
{
    if (!PyList_Check(entries))
        return PyErr_Format(PyExc_TypeError, "join_chunks: a list, not %R", entries);
    Py_ssize_t n = PyList_GET_SIZE(entries), size = 0, n_words = 0;
    PyObject *terms, *first, *follow;
    Py_ssize_t words;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!chunk_fields(PyList_GET_ITEM(entries, i), &terms, &first, &follow, &words))
            return NULL;
        size += PyBytes_GET_SIZE(terms);
        n_words += words;
    }
    /* at most one join per chunk after the first */
    PyObject *raw = PyBytes_FromStringAndSize(NULL, size + 8 * n);
    if (raw == NULL)
        return NULL;
    char *out = PyBytes_AS_STRING(raw);
    for (Py_ssize_t i = 0; i < n; i++) {
        terms = CHUNK_FIELD(PyList_GET_ITEM(entries, i), 0);
        memcpy(out, PyBytes_AS_STRING(terms), (size_t)PyBytes_GET_SIZE(terms));
        out += PyBytes_GET_SIZE(terms);
    }
    /* a bigram joining one chunk's last word to the next chunk with words' first */
    PyObject *last_follow = NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *e = PyList_GET_ITEM(entries, i);
        first = CHUNK_FIELD(e, 1);
        if (first == Py_None)
            continue;
        if (last_follow != NULL && last_follow != Py_None) {
            PyObject *j = PyDict_GetItemWithError(last_follow, first);
            if (j == NULL && PyErr_Occurred())
                goto fail;
            if (j != NULL && j != Py_None) {
                int64_t v = PyLong_AsLongLong(j);
                if (v == -1 && PyErr_Occurred())
                    goto fail;
                memcpy(out, &v, 8);
                out += 8;
            }
        }
        last_follow = CHUNK_FIELD(e, 2);
    }
    if (_PyBytes_Resize(&raw, out - PyBytes_AS_STRING(raw)) < 0)
        return NULL;
    return Py_BuildValue("(Nn)", raw, n_words);
fail:
    Py_DECREF(raw);
    return NULL;
}

static PyMethodDef module_methods[] = {
    {"set_chunk_type", set_chunk_type, METH_O,
     "set_chunk_type(cls) -> None: the class (scorer._Chunk) whose instances join_chunks reads."},
    {"join_chunks", join_chunks, METH_O,
     "join_chunks(entries) -> (raw, n_words): the chunks' terms joined, then the bigrams joining "
     "each chunk with words to the next (int64 bytes), and their number of words (scorer._joined_terms)."},
    {"place", place, METH_VARARGS,
     "place(folded, layout) -> (units, joins): each unit's (start, end) in the folded post and, "
     "per gap between units, whether no clause break lies in it (scorer.Analysis._clause_joins)."},
    {"breaks", breaks, METH_O, "breaks(folded) -> the (start, end) of each clause break, in order."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastscore", "Scoring and explaining arithmetic of scorer.Analysis, in C.", -1,
    module_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__fastscore(void)
{
    for (int c = 1; c < TF_TABLE; c++)
        tf_table[c] = 1.0 + log((double)c);
    if (PyType_Ready(&ScorerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&ScorerType);
    if (PyModule_AddObject(m, "Scorer", (PyObject *)&ScorerType) < 0) {
        Py_DECREF(&ScorerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
