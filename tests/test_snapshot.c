/* Snapshots of the network state in a step-wise episode (lsnn_sim_snapshot / lsnn_sim_restore).
 *
 * A closed-loop episode (inputs from the readout of the step before) on an ALIF network with
 * delays up to 3, current noise and two chunks is snapshotted at step ts (13, not a multiple of
 * K = 7, and 14, one), probed for 9 steps with other inputs (written into the same batch rows
 * and the same y buffer, over the checkpoints of steps 14 and 21), restored and continued. The
 * state right after the restore must equal the snapshot, and the continuation must give y, spike
 * counts, the final state and the BPTT gradient bit-identical to a run without the probe, with and
 * without records of v; a second restore after lsnn_sim_end and BPTT must give them once more.
 * Snapshots of another workspace or of an earlier episode are refused. Float32, the product. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lsnn/config.h"
#include "lsnn/config_map.h"
#include "lsnn/network.h"
#include "lsnn/sim.h"

#include "test_batch.h"
#include "lsnn/status.h"
#include "net/sim_internal.h" /* K, to place the snapshots */

enum { B = 20, T = 48, NIN = 5, NOUT = 2, PROBE = 9 };

static void build_net(lsnn_net *net)
{
    lsnn_network_config nc = test_small_network(6, 6, "leaky", 5.0, 3, 0.3);
    assert_int_equal(lsnn_net_init(net, &nc, NIN, NOUT, 17), LSNN_OK);
    for (int k = 0; k < NOUT; k++)
        net->b_out[k] = (lsnn_real)(0.1 * (k + 1));
}

static double unit(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    return (double)(lsnn_hash4(a, b, c, d) >> 11) * 0x1p-53;
}

/* The environment: writes the inputs of step t of every sequence from y rows t-1. */
static void env_write(lsnn_batch *b, const lsnn_real *y, int t)
{
    for (int g = 0; g < B; g++) {
        lsnn_real *x = b->x + ((size_t)g * T + t) * NIN;
        const lsnn_real *yp = t > 0 ? y + ((size_t)g * T + t - 1) * NOUT : NULL;
        x[0] = (lsnn_real)(unit(1, (uint64_t)g, (uint64_t)t, 0) < 0.3);
        x[1] = (lsnn_real)(unit(1, (uint64_t)g, (uint64_t)t, 1) < 0.1);
        x[2] = yp && yp[0] > yp[1];
        x[3] = yp && yp[0] > (lsnn_real)0.1;
        x[4] = yp ? (lsnn_real)(yp[1] > 0 ? yp[1] : -yp[1]) : 0;
    }
}

/* Hypothetical inputs for a probe: dense random spikes. */
static void probe_write(lsnn_batch *b, int t)
{
    for (int g = 0; g < B; g++)
        for (int i = 0; i < NIN; i++)
            b->x[((size_t)g * T + t) * NIN + i] = (lsnn_real)(unit(2, (uint64_t)g, (uint64_t)t,
                                                                   (uint64_t)i) < 0.6);
}

static void step_env(lsnn_sim *sim, const lsnn_net *net, lsnn_batch *b, lsnn_real *y, int t0,
                     int t1)
{
    for (int t = t0; t < t1; t++) {
        env_write(b, y, t);
        assert_int_equal(lsnn_sim_step(sim, net, b, t, y, NULL), LSNN_OK);
    }
}

static void assert_same(const char *what, const void *a, const void *b, size_t n, size_t size)
{
    const unsigned char *pa = a, *pb = b;
    for (size_t k = 0; k < n; k++)
        if (memcmp(pa + k * size, pb + k * size, size)) {
            double va, vb;
            if (size == sizeof(double)) {
                memcpy(&va, pa + k * size, size);
                memcpy(&vb, pb + k * size, size);
            } else {
                lsnn_real ra, rb;
                memcpy(&ra, pa + k * size, size);
                memcpy(&rb, pb + k * size, size);
                va = ra;
                vb = rb;
            }
            printf("%s differs at %zu: probed run %.9g, reference %.9g\n", what, k, va, vb);
            fail();
        }
}

/* lsnn_sim_state_equal, printing both step positions on failure (the states are opaque). */
static void assert_state_equal(const char *what, const lsnn_sim_state *a, const lsnn_sim_state *b)
{
    if (!lsnn_sim_state_equal(a, b)) {
        printf("%s: the states differ (steps %d and %d)\n", what, lsnn_sim_state_step(a),
               lsnn_sim_state_step(b));
        fail();
    }
}

typedef struct run_out {
    lsnn_real *y, *grad;
    double count[64];
    lsnn_sim_state *at_ts, *final;
} run_out;

static void probe_run(int records, int ts)
{
    lsnn_net net;
    build_net(&net);
    const size_t ny = (size_t)B * T * NOUT, np = net.n_params;
    lsnn_real *gy = malloc(sizeof(lsnn_real) * ny), *gz = malloc(sizeof(lsnn_real) * net.n);
    lsnn_rng rng;
    lsnn_rng_seed(&rng, 4);
    for (size_t k = 0; k < ny; k++)
        gy[k] = (lsnn_real)lsnn_rng_normal(&rng);
    for (int j = 0; j < net.n; j++)
        gz[j] = (lsnn_real)(0.1 * lsnn_rng_normal(&rng));
    assert_true(net.n <= 64);

    lsnn_sim *sim[2];
    lsnn_batch batch[2];
    run_out r[2];
    for (int k = 0; k < 2; k++) {
        sim[k] = lsnn_sim_create(&net, B, T, NULL);
        assert_non_null(sim[k]);
        assert_int_equal(sim[k]->K, 7);
        if (records)
            assert_int_equal(lsnn_sim_enable_records(sim[k], &net, (size_t)1 << 28), 1);
        assert_int_equal(lsnn_batch_init(&batch[k], B, T, NIN, NOUT, LSNN_LOSS_CE_WINDOW, 1),
                         LSNN_OK);
        batch[k].noise_key = 0xab;
        r[k].y = malloc(sizeof(lsnn_real) * ny);
        r[k].grad = malloc(sizeof(lsnn_real) * np);
        r[k].at_ts = lsnn_sim_state_create(sim[k], NULL);
        r[k].final = lsnn_sim_state_create(sim[k], NULL);
        assert_non_null(r[k].at_ts);
        assert_non_null(r[k].final);
        assert_int_equal(lsnn_sim_state_step(r[k].at_ts), -1);
    }
    lsnn_sim_state *again = lsnn_sim_state_create(sim[1], NULL);
    assert_non_null(again);

    /* Reference: the episode without a probe. */
    assert_int_equal(lsnn_sim_begin(sim[0], &net, &batch[0]), LSNN_OK);
    step_env(sim[0], &net, &batch[0], r[0].y, 0, ts);
    assert_int_equal(lsnn_sim_snapshot(sim[0], r[0].at_ts), LSNN_OK);
    step_env(sim[0], &net, &batch[0], r[0].y, ts, T);
    assert_int_equal(lsnn_sim_snapshot(sim[0], r[0].final), LSNN_OK);
    assert_int_equal(lsnn_sim_end(sim[0], &net, &batch[0], r[0].count), LSNN_OK);
    assert_int_equal(lsnn_bptt_backward(sim[0], &net, &batch[0], gy, gz, r[0].grad), LSNN_OK);
    double spikes = 0;
    for (int j = 0; j < net.n; j++)
        spikes += r[0].count[j];
    printf("[records %d, snapshot at %d] %.0f spikes\n", records, ts, spikes);
    assert_true(spikes > 100);

    /* Probed: the same up to ts, snapshot, probe, restore, continue. */
    lsnn_sim *s = sim[1];
    lsnn_batch *b = &batch[1];
    lsnn_real *y = r[1].y;
    assert_int_equal(lsnn_sim_begin(s, &net, b), LSNN_OK);
    step_env(s, &net, b, y, 0, ts);
    assert_int_equal(lsnn_sim_snapshot(s, r[1].at_ts), LSNN_OK);
    assert_int_equal(lsnn_sim_state_step(r[1].at_ts), ts);
    assert_state_equal("at ts, probed run vs reference", r[1].at_ts, r[0].at_ts);
    double probe_count[64];
    for (int t = ts; t < ts + PROBE; t++) {
        probe_write(b, t);
        assert_int_equal(lsnn_sim_step(s, &net, b, t, y, probe_count), LSNN_OK);
    }
    /* The probe did change things: its readout and state differ from the reference's. */
    assert_int_equal(lsnn_sim_snapshot(s, again), LSNN_OK);
    assert_int_equal(lsnn_sim_state_step(again), ts + PROBE);
    assert_false(lsnn_sim_state_equal(again, r[1].at_ts));
    int differs = 0;
    for (int g = 0; g < B; g++)
        for (int t = ts; t < ts + PROBE; t++)
            differs |= memcmp(y + ((size_t)g * T + t) * NOUT, r[0].y + ((size_t)g * T + t) * NOUT,
                              sizeof(lsnn_real) * NOUT) != 0;
    assert_true(differs);
    /* Restore: the state is the snapshot's again. */
    assert_int_equal(lsnn_sim_restore(s, r[1].at_ts), LSNN_OK);
    assert_int_equal(lsnn_sim_snapshot(s, again), LSNN_OK);
    assert_int_equal(lsnn_sim_state_step(again), ts);
    assert_state_equal("after the restore vs the snapshot", again, r[1].at_ts);
    /* BPTT waits for the end of the reopened episode. */
    assert_int_equal(lsnn_bptt_backward(s, &net, b, gy, gz, r[1].grad), LSNN_ERR_ARG);
    step_env(s, &net, b, y, ts, T);
    assert_int_equal(lsnn_sim_snapshot(s, r[1].final), LSNN_OK);
    assert_state_equal("final state, probed run vs reference", r[1].final, r[0].final);
    assert_int_equal(lsnn_sim_end(s, &net, b, r[1].count), LSNN_OK);
    assert_int_equal(lsnn_bptt_backward(s, &net, b, gy, gz, r[1].grad), LSNN_OK);
    assert_same("inputs", b->x, batch[0].x, (size_t)B * T * NIN, sizeof(lsnn_real));
    assert_same("y", y, r[0].y, ny, sizeof(lsnn_real));
    assert_same("spike count", r[1].count, r[0].count, (size_t)net.n, sizeof(double));
    assert_same("gradient", r[1].grad, r[0].grad, np, sizeof(lsnn_real));

    /* Once more from the same snapshot, after lsnn_sim_end and BPTT; the running counts of the
     * last step equal lsnn_sim_end's. */
    assert_int_equal(lsnn_sim_restore(s, r[1].at_ts), LSNN_OK);
    for (int t = ts; t < T; t++) {
        env_write(b, y, t);
        assert_int_equal(lsnn_sim_step(s, &net, b, t, y, probe_count), LSNN_OK);
    }
    assert_same("running spike count", probe_count, r[0].count, (size_t)net.n, sizeof(double));
    memset(r[1].count, 0, sizeof r[1].count);
    memset(r[1].grad, 0, sizeof(lsnn_real) * np);
    assert_int_equal(lsnn_sim_end(s, &net, b, r[1].count), LSNN_OK);
    assert_int_equal(lsnn_bptt_backward(s, &net, b, gy, gz, r[1].grad), LSNN_OK);
    assert_same("y (second restore)", y, r[0].y, ny, sizeof(lsnn_real));
    assert_same("spike count (second restore)", r[1].count, r[0].count, (size_t)net.n,
                sizeof(double));
    assert_same("gradient (second restore)", r[1].grad, r[0].grad, np, sizeof(lsnn_real));

    /* Refusals: a state of another workspace; snapshots outside an episode; a snapshot of an
     * earlier episode. */
    assert_int_equal(lsnn_sim_restore(s, r[0].at_ts), LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "another workspace"));
    assert_int_equal(lsnn_sim_snapshot(s, again), LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "no episode is open"));
    assert_int_equal(lsnn_sim_begin(s, &net, b), LSNN_OK);
    assert_int_equal(lsnn_sim_restore(s, r[1].at_ts), LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "earlier episode"));
    assert_int_equal(lsnn_sim_forward(s, &net, b, y, NULL, NULL), LSNN_OK);
    assert_int_equal(lsnn_sim_restore(s, r[1].final), LSNN_ERR_ARG);
    lsnn_sim_state *empty = lsnn_sim_state_create(s, NULL);
    assert_non_null(empty);
    assert_int_equal(lsnn_sim_restore(s, empty), LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "holds no snapshot"));
    lsnn_sim_state_free(empty);

    lsnn_sim_state_free(again);
    for (int k = 0; k < 2; k++) {
        lsnn_sim_state_free(r[k].at_ts);
        lsnn_sim_state_free(r[k].final);
        free(r[k].y);
        free(r[k].grad);
        lsnn_batch_free(&batch[k]);
        lsnn_sim_free(sim[k]);
    }
    free(gy);
    free(gz);
    lsnn_net_free(&net);
}

static void test_snapshot_between_checkpoints(void **state)
{
    (void)state;
    probe_run(0, 13);
}

static void test_snapshot_at_checkpoint(void **state)
{
    (void)state;
    probe_run(0, 14);
}

static void test_snapshot_records(void **state)
{
    (void)state;
    probe_run(1, 13);
    probe_run(1, 14);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_between_checkpoints),
        cmocka_unit_test(test_snapshot_at_checkpoint),
        cmocka_unit_test(test_snapshot_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
