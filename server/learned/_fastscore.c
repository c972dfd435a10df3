/* The scoring arithmetic of scorer.Analysis in one call.
 *
 * Numpy's per-call overhead on a post's few hundred terms, with cold caches, cost more
 * than the arithmetic itself (~8 numpy calls to count terms, then gathers and a matmul).
 * scorer.py's numpy path stays the reference: tests/test_fastscore.py pins this one
 * against it to 1e-12. Only Python.h and libm: nothing to install beyond a compiler.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
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

/* Sorts keys in [0, limit) using tmp (as long as a); returns whichever of the two holds
   the result. LSD radix by bytes: a post's few hundred random keys cost a comparison sort
   a branch misprediction every other step; this costs two passes without any, and no
   post, however made, more. */
static int64_t *
sort_keys(int64_t *a, int64_t *tmp, Py_ssize_t n, int64_t limit)
{
    if (n <= 32) {
        insertion_sort(a, n);
        return a;
    }
    for (int shift = 0; shift < 64 && ((limit - 1) >> shift) != 0; shift += 8) {
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

/* ---- arithmetic ---- */

/* 1 + ln(count) for the counts most terms have: log costs more than the rest of a term. */
#define TF_TABLE 256
static double tf_table[TF_TABLE];

/* Sorted a[0..n) → distinct keys in a[0..k) and x[k] = (1 + ln count) * idf[key]
   (sublinear tf times idf); returns k. */
static Py_ssize_t
tf_idf(int64_t *a, Py_ssize_t n, const double *idf, double *x)
{
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n;) {
        Py_ssize_t start = i;
        int64_t key = a[i];
        while (i < n && a[i] == key)
            i++;
        a[k] = key;
        Py_ssize_t count = i - start;
        x[k] = (count < TF_TABLE ? tf_table[count] : 1.0 + log((double)count)) * idf[key];
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

/* Sorted term indices → probabilities: the work of score() once its input is copied. */
static PyObject *
score_sorted(Scorer *s, int64_t *keys, Py_ssize_t n, double *x, double *acc)
{
    Py_ssize_t k = tf_idf(keys, n, (const double *)s->idf.buf, x);
    Py_ssize_t n_w = 0;  /* word terms are numbered first, so they sort first */
    while (n_w < k && keys[n_w] < s->n_word_terms)
        n_w++;
    normalise(x, 0, n_w);
    normalise(x, n_w, k);
    return probabilities(s, keys, x, k, acc);
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
    for (Py_ssize_t i = 0; i < n; i++) {
        if ((uint64_t)keys[i] >= (uint64_t)s->n_terms) {
            PyErr_Format(PyExc_IndexError, "term index %lld out of range [0, %zd)", (long long)keys[i], s->n_terms);
            goto done;
        }
    }
    out = score_sorted(s, sort_keys(keys, keys + n, n, s->n_terms), n, x, x + n);
done:
    PyMem_Free(heap);
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

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastscore", "Scoring arithmetic of scorer.Analysis, in C.", -1, NULL,
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
