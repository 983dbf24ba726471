/* Statistics over the runs of a sweep (lsnn/sweep.h). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/sweep.h"

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

const lsnn_sweep_stat *lsnn_sweep_find(const lsnn_sweep_stat *stats, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(stats[i].name, name) == 0)
            return &stats[i];
    return NULL;
}

lsnn_status lsnn_sweep_aggregate(const char *const *texts, const char *const *origins, int n,
                                 lsnn_sweep_stat *stats, int cap, int *n_stats)
{
    *n_stats = 0;
    cJSON **docs = calloc((size_t)(n > 0 ? n : 1), sizeof(cJSON *));
    double *vals = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    if (!docs || !vals) {
        free(docs);
        free(vals);
        return lsnn_error(LSNN_ERR_NOMEM, "sweep: out of memory");
    }
    lsnn_status st = LSNN_OK;
    for (int i = 0; i < n && !st; i++) {
        if (!texts[i])
            continue;
        docs[i] = cJSON_Parse(texts[i]);
        if (!cJSON_IsObject(docs[i]))
            st = lsnn_error(LSNN_ERR_FORMAT, "%s: not a JSON object",
                            origins && origins[i] ? origins[i] : "result");
    }
    /* the fields, in order of first appearance */
    for (int i = 0; i < n && !st; i++) {
        if (!docs[i])
            continue;
        const cJSON *f;
        cJSON_ArrayForEach(f, docs[i])
        {
            if (!(cJSON_IsNumber(f) || cJSON_IsBool(f)) || !f->string ||
                strlen(f->string) >= LSNN_SWEEP_NAME_MAX ||
                lsnn_sweep_find(stats, *n_stats, f->string))
                continue;
            if (*n_stats >= cap)
                break;
            lsnn_sweep_stat *s = &stats[(*n_stats)++];
            memset(s, 0, sizeof *s);
            strcpy(s->name, f->string);
        }
    }
    for (int k = 0; k < *n_stats && !st; k++) {
        lsnn_sweep_stat *s = &stats[k];
        int m = 0;
        for (int i = 0; i < n; i++) {
            const cJSON *f = docs[i] ? cJSON_GetObjectItemCaseSensitive(docs[i], s->name) : NULL;
            double v = cJSON_IsNumber(f) ? f->valuedouble : cJSON_IsBool(f) ? cJSON_IsTrue(f) : NAN;
            if (isfinite(v))
                vals[m++] = v;
        }
        s->n = m;
        if (!m) {
            s->mean = s->std = s->min = s->max = s->median = NAN;
            continue;
        }
        double sum = 0;
        for (int i = 0; i < m; i++)
            sum += vals[i];
        s->mean = sum / m;
        double ss = 0;
        for (int i = 0; i < m; i++)
            ss += (vals[i] - s->mean) * (vals[i] - s->mean);
        s->std = m > 1 ? sqrt(ss / (m - 1)) : 0;
        qsort(vals, (size_t)m, sizeof(double), cmp_double);
        s->min = vals[0];
        s->max = vals[m - 1];
        s->median = m % 2 ? vals[m / 2] : 0.5 * (vals[m / 2 - 1] + vals[m / 2]);
    }
    for (int i = 0; i < n; i++)
        cJSON_Delete(docs[i]);
    free(docs);
    free(vals);
    if (st)
        *n_stats = 0;
    return st;
}
