/* Store-recall task: determinism, semantics reconstructed from the input spikes, input rates. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "lsnn/config.h"
#include "lsnn/sim.h"
#include "lsnn/task.h"

static const lsnn_task *task(void)
{
    const lsnn_task *t = lsnn_task_find("store_recall");
    assert_non_null(t);
    assert_non_null(t->shape);
    assert_non_null(t->generate);
    return t;
}

static void gen(const lsnn_config *cfg, uint64_t seed, uint64_t stream, uint64_t first, int B,
                lsnn_batch *b)
{
    const lsnn_task *t = task();
    lsnn_task_shape sh;
    assert_int_equal(t->shape(cfg, &sh), LSNN_OK);
    assert_int_equal(lsnn_batch_init(b, B, sh.T, sh.n_in, sh.n_out, sh.loss, sh.max_windows),
                     LSNN_OK);
    /* Poison so that anything the generator fails to write is noticed. */
    for (size_t i = 0; i < (size_t)B * sh.T * sh.n_in; i++)
        b->x[i] = 7.0f;
    for (int s = 0; s < B; s++)
        b->n_windows[s] = -1;
    assert_int_equal(t->generate(NULL, cfg, seed, stream, first, b), LSNN_OK);
}

static void test_shape(void **state)
{
    (void)state;
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    lsnn_task_shape sh;
    assert_int_equal(task()->shape(&cfg, &sh), LSNN_OK);
    const lsnn_store_recall_config *c = &cfg.store_recall;
    assert_int_equal(sh.n_in, (2 + c->n_values) * c->group_size);
    assert_int_equal(sh.n_out, c->n_values);
    assert_int_equal(sh.T, c->n_symbols * c->symbol_ms);
    check_ge(sh.max_windows, (c->n_symbols + 1) / 2); /* room for every possible recall */
    assert_int_equal(sh.loss, LSNN_LOSS_CE_WINDOW);
    assert_null(lsnn_task_find("no_such_task"));
}

/* (a) Same (seed, stream, index) -> same sequence, whatever the batch it is generated in. */
static void test_determinism(void **state)
{
    (void)state;
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    cfg.store_recall.symbol_ms = 50;
    cfg.store_recall.p_command = 0.4;
    lsnn_batch b8, b4, b8b, bv, bs;
    gen(&cfg, 42, LSNN_STREAM_TRAIN, 0, 8, &b8);
    gen(&cfg, 42, LSNN_STREAM_TRAIN, 4, 4, &b4);
    gen(&cfg, 42, LSNN_STREAM_TRAIN, 0, 8, &b8b);
    gen(&cfg, 42, LSNN_STREAM_VALID, 0, 8, &bv);
    gen(&cfg, 43, LSNN_STREAM_TRAIN, 0, 8, &bs);
    const size_t seq = (size_t)b8.T * b8.n_in;
    const int MW = b8.max_windows;

    /* Full repetition is identical. */
    assert_memory_equal(b8.x, b8b.x, sizeof(lsnn_real) * 8 * seq);
    assert_memory_equal(b8.n_windows, b8b.n_windows, sizeof(int) * 8);
    assert_memory_equal(b8.windows, b8b.windows, sizeof(lsnn_window) * 8 * MW);
    assert_int_equal(b8.noise_key, b8b.noise_key);

    for (int s = 0; s < 4; s++) {
        assert_memory_equal(b8.x + (size_t)(4 + s) * seq, b4.x + (size_t)s * seq,
                            sizeof(lsnn_real) * seq);
        assert_int_equal(b8.n_windows[4 + s], b4.n_windows[s]);
        for (int w = 0; w < b4.n_windows[s]; w++) {
            const lsnn_window *p = &b8.windows[(size_t)(4 + s) * MW + w];
            const lsnn_window *q = &b4.windows[(size_t)s * MW + w];
            assert_int_equal(p->t0, q->t0);
            assert_int_equal(p->t1, q->t1);
            assert_int_equal(p->label, q->label);
        }
    }

    /* Another stream or seed gives other sequences: every one of them differs. */
    for (int s = 0; s < 8; s++) {
        assert_true(memcmp(b8.x + s * seq, bv.x + s * seq, sizeof(lsnn_real) * seq) != 0);
        assert_true(memcmp(b8.x + s * seq, bs.x + s * seq, sizeof(lsnn_real) * seq) != 0);
    }
    /* Sequences within a batch differ from each other. */
    for (int s = 1; s < 8; s++)
        assert_true(memcmp(b8.x, b8.x + s * seq, sizeof(lsnn_real) * seq) != 0);

    lsnn_batch_free(&b8);
    lsnn_batch_free(&b4);
    lsnn_batch_free(&b8b);
    lsnn_batch_free(&bv);
    lsnn_batch_free(&bs);
}

typedef struct sr_stats {
    long windows, recalls, stores, periods;
    long label_count[16];
    long active_spikes, active_slots; /* spikes and (step, neuron) slots of active groups */
} sr_stats;

/* (b) Reconstructs the commands and values of every sequence from x and checks the windows. */
static void check_semantics(const lsnn_config *cfg, const lsnn_batch *b, sr_stats *st)
{
    const lsnn_store_recall_config *c = &cfg->store_recall;
    const int S = c->symbol_ms, P = c->n_symbols, G = c->group_size, V = c->n_values;
    const int NG = 2 + V;
    assert_int_equal(b->n_in, NG * G);
    assert_int_equal(b->T, P * S);
    assert_int_equal(b->n_out, V);
    long *cnt = calloc((size_t)NG, sizeof(long));
    assert_non_null(cnt);
    for (int s = 0; s < b->B; s++) {
        int stored = -1, next = 1, nrec = 0;
        const int nw = b->n_windows[s];
        check_ge(nw, 1);
        check_le(nw, b->max_windows);
        for (int p = 0; p < P; p++) {
            memset(cnt, 0, sizeof(long) * NG);
            for (int t = p * S; t < (p + 1) * S; t++) {
                const lsnn_real *x = b->x + ((size_t)s * b->T + t) * b->n_in;
                for (int i = 0; i < b->n_in; i++) {
                    assert_true(x[i] == 0.0f || x[i] == 1.0f);
                    cnt[i / G] += x[i] == 1.0f;
                }
            }
            int value = -1, nvalues = 0;
            for (int v = 0; v < V; v++)
                if (cnt[2 + v] > 0) {
                    value = v;
                    nvalues++;
                }
            assert_int_equal(nvalues, 1); /* exactly one value group active */
            assert_false(cnt[0] > 0 && cnt[1] > 0); /* at most one command */
            int cmd = cnt[0] > 0 ? 1 : cnt[1] > 0 ? 2 : 0;
            for (int g = 0; g < NG; g++)
                if (cnt[g] > 0) {
                    st->active_spikes += cnt[g];
                    st->active_slots += (long)S * G;
                }
            st->periods++;
            if (cmd) {
                assert_int_equal(cmd, next); /* store, recall, store, ... */
                next = cmd == 1 ? 2 : 1;
            }
            if (cmd == 1) {
                stored = value;
                st->stores++;
            }
            if (cmd == 2) {
                check_ge(stored, 0);
                check_lt(nrec, nw);
                const lsnn_window *w = &b->windows[(size_t)s * b->max_windows + nrec];
                assert_int_equal(w->t0, p * S);
                assert_int_equal(w->t1, (p + 1) * S);
                assert_int_equal(w->label, stored);
                check_ge(w->label, 0);
                check_lt(w->label, V);
                st->label_count[w->label]++;
                nrec++;
                st->recalls++;
            }
        }
        assert_int_equal(nrec, nw); /* one window per recall, no others */
        st->windows += nw;
    }
    free(cnt);
}

static void semantics_case(double p_command, int n_values, int B, sr_stats *st)
{
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    cfg.store_recall.rate_hz = 200; /* an active group certainly spikes in a period */
    cfg.store_recall.symbol_ms = 60;
    cfg.store_recall.group_size = 8;
    cfg.store_recall.p_command = p_command;
    cfg.store_recall.n_values = n_values;
    assert_int_equal(lsnn_config_validate(&cfg, "test"), LSNN_OK);
    lsnn_batch b;
    gen(&cfg, 7, LSNN_STREAM_TRAIN, 100, B, &b);
    memset(st, 0, sizeof *st);
    check_semantics(&cfg, &b, st);
    check_ge(st->windows, B);
    lsnn_batch_free(&b);
}

static void test_semantics(void **state)
{
    (void)state;
    sr_stats st;
    /* Defaults (p_command = 1/6): sequences without a recall are redrawn. */
    semantics_case(1.0 / 6, 2, 32, &st);
    check_ge(st.stores, st.recalls);
    /* Frequent commands: several windows per sequence. */
    semantics_case(0.5, 2, 16, &st);
    check_gt(st.windows, 16 * 2);
    /* Every period a command: exactly n_symbols / 2 recalls per sequence. */
    semantics_case(1.0, 3, 8, &st);
    assert_int_equal(st.windows, 8 * 12 / 2);
    assert_int_equal(st.stores, 8 * 12 / 2);
    /* Commands (almost) never drawn: still one store and one recall per sequence. */
    semantics_case(1e-12, 2, 4, &st);
    assert_int_equal(st.windows, 4);
    assert_int_equal(st.stores, 4);
}

/* (c) Firing rate of the active groups (inactive channels never spike: checked above). */
static void rate_case(double rate_hz, double dt)
{
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    cfg.store_recall.rate_hz = rate_hz;
    cfg.network.dt = dt;
    cfg.store_recall.symbol_ms = 100;
    cfg.store_recall.group_size = 10;
    lsnn_batch b;
    gen(&cfg, 11, LSNN_STREAM_VALID, 0, 24, &b);
    sr_stats st;
    memset(&st, 0, sizeof st);
    check_semantics(&cfg, &b, &st);
    /* rate in Hz = spikes / (slots * dt / 1000). */
    double hz = (double)st.active_spikes / ((double)st.active_slots * dt / 1000.0);
    if (!(fabs(hz - rate_hz) <= 0.1 * rate_hz)) {
        print_error("active-group rate %.3f Hz, expected %.3f Hz (dt %g)\n", hz, rate_hz, dt);
        fail();
    }
    /* Active slots: one value group every period plus one per command. */
    long cmds = st.stores + st.recalls;
    assert_int_equal(st.active_slots, (st.periods + cmds) * 100L * 10);
    lsnn_batch_free(&b);
}

static void test_rates(void **state)
{
    (void)state;
    rate_case(50, 1.0);
    rate_case(200, 1.0);
    rate_case(50, 2.0);
}

/* (d) Four values. */
static void test_four_values(void **state)
{
    (void)state;
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    cfg.store_recall.n_values = 4;
    cfg.store_recall.rate_hz = 200;
    cfg.store_recall.symbol_ms = 40;
    cfg.store_recall.group_size = 6;
    lsnn_batch b;
    gen(&cfg, 3, LSNN_STREAM_TRAIN, 0, 64, &b);
    assert_int_equal(b.n_out, 4);
    assert_int_equal(b.n_in, 6 * 6);
    sr_stats st;
    memset(&st, 0, sizeof st);
    check_semantics(&cfg, &b, &st);
    long sum = 0;
    for (int v = 0; v < 4; v++) {
        check_gt(st.label_count[v], 0);
        sum += st.label_count[v];
    }
    assert_int_equal(sum, st.windows);
    for (int v = 4; v < 16; v++)
        assert_int_equal(st.label_count[v], 0);
    lsnn_batch_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape),     cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_semantics), cmocka_unit_test(test_rates),
        cmocka_unit_test(test_four_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
