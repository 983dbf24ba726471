/* Sequential MNIST / Fashion-MNIST (seed 000 section 4, Tables S1 and S2).
 *
 * The 784 pixels of an image are shown one after the other (row by row), each for ms_per_pixel
 * steps, encoded by threshold crossings, a population probability code or as one analog channel
 * (lsnn/encode.h). After the image, an optional cue channel is active for readout_steps steps,
 * over which the readout is averaged and classified with softmax cross-entropy; or (window
 * "image_end", seed 003 section 4.2.3) the window is the last readout_steps steps of the image
 * and nothing follows it.
 *
 * Splits: the training stream walks through the first train_size images of the training file
 * in a new pseudo-random order every epoch (a keyed bijection of the indices, so any position of
 * any epoch is computed directly and a resumed run sees the same data); validation is the last
 * val_size images of the training file, never trained on; test is the 10,000-image test file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/encode.h"
#include "lsnn/idx.h"
#include "lsnn/task.h"

#define LSNN__PIXELS 784

typedef struct lsnn__smnist {
    lsnn_mnist train, test;
    int n_train;               /* images of the training stream */
    int val_off;               /* first validation image */
} lsnn__smnist;

static int lsnn__sm_analog(const lsnn_config *cfg)
{
    return strcmp(cfg->smnist.encoding, "analog") == 0;
}

static lsnn_status lsnn__sm_shape(const lsnn_config *cfg, lsnn_task_shape *out)
{
    const lsnn_smnist_config *c = &cfg->smnist;
    memset(out, 0, sizeof *out);
    if (strcmp(c->encoding, "threshold") == 0 && c->n_input % 2)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "smnist.n_input: the threshold encoding needs an even number of "
                          "channels (two per grey level), got %d",
                          c->n_input);
    const int image_end = strcmp(c->window, "image_end") == 0;
    if (image_end && c->cue)
        return lsnn_error(LSNN_ERR_CONFIG, "smnist.cue: the cue is shown after the image, but "
                                           "smnist.window \"image_end\" adds no steps after it "
                                           "(set smnist.cue to false)");
    if (image_end && c->readout_steps > LSNN__PIXELS * c->ms_per_pixel)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "smnist.readout_steps: %d steps, but the image lasts %d (smnist.window "
                          "\"image_end\")",
                          c->readout_steps, LSNN__PIXELS * c->ms_per_pixel);
    out->n_in = (lsnn__sm_analog(cfg) ? 1 : c->n_input) + (c->cue ? 1 : 0);
    out->n_out = 10;
    out->T = LSNN__PIXELS * c->ms_per_pixel + (image_end ? 0 : c->readout_steps);
    out->max_windows = 1;
    out->loss = lsnn_task_class_loss(cfg);
    out->metric = "accuracy";
    return LSNN_OK;
}

static lsnn_status lsnn__sm_open(const lsnn_config *cfg, void **state)
{
    const lsnn_smnist_config *c = &cfg->smnist;
    lsnn__smnist *s = calloc(1, sizeof *s);
    if (!s)
        return lsnn_error(LSNN_ERR_NOMEM, "smnist: out of memory");
    lsnn_status st = lsnn_mnist_load(c->data_dir, "train", &s->train);
    if (!st)
        st = lsnn_mnist_load(c->data_dir, "test", &s->test);
    if (st) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", lsnn_last_error());
        lsnn_mnist_free(&s->train);
        free(s);
        return lsnn_error(st, "smnist.data_dir: %s (get the data with: lsnn data mnist %s)", msg,
                          c->data_dir);
    }
    if (s->train.rows * s->train.cols != LSNN__PIXELS ||
        s->test.rows * s->test.cols != LSNN__PIXELS || s->train.count <= c->val_size) {
        lsnn_mnist_free(&s->train);
        lsnn_mnist_free(&s->test);
        free(s);
        return lsnn_error(LSNN_ERR_FORMAT,
                          "smnist.data_dir: %s: expected 28 x 28 images and more than "
                          "smnist.val_size = %d training images",
                          c->data_dir, c->val_size);
    }
    s->val_off = s->train.count - c->val_size;
    s->n_train = c->train_size > 0 && c->train_size < s->val_off ? c->train_size : s->val_off;
    *state = s;
    return LSNN_OK;
}

static void lsnn__sm_close(void *state)
{
    lsnn__smnist *s = state;
    lsnn_mnist_free(&s->train);
    lsnn_mnist_free(&s->test);
    free(s);
}

/* A keyed pseudo-random bijection of [0, n): a 4-round Feistel network on the smallest
 * power-of-four domain >= n, with cycle walking back into [0, n). */
static uint64_t lsnn__permute(uint64_t x, uint64_t n, uint64_t key)
{
    int half = 1;
    while ((1ull << (2 * half)) < n)
        half++;
    const uint64_t mask = (1ull << half) - 1;
    do {
        uint64_t L = x >> half, R = x & mask;
        for (uint64_t round = 0; round < 4; round++) {
            uint64_t F = lsnn_hash4(key, round, R, 0x9e37) & mask;
            uint64_t nl = R;
            R = L ^ F;
            L = nl;
        }
        x = (L << half) | R;
    } while (x >= n);
    return x;
}

static long lsnn__sm_stream_size(const void *state, const lsnn_config *cfg, uint64_t stream)
{
    const lsnn__smnist *s = state;
    if (stream == LSNN_STREAM_VALID)
        return cfg->smnist.val_size;
    if (stream == LSNN_STREAM_TEST)
        return s->test.count;
    return s->n_train;
}

static lsnn_status lsnn__sm_generate(const void *state, const lsnn_config *cfg, uint64_t seed,
                                     uint64_t stream, uint64_t first, lsnn_batch *b)
{
    const lsnn__smnist *s = state;
    const lsnn_smnist_config *c = &cfg->smnist;
    const int spp = c->ms_per_pixel, T = b->T, n_in = b->n_in;
    const int image_steps = LSNN__PIXELS * spp;
    float grey[LSNN__PIXELS];
    memset(b->x, 0, sizeof(lsnn_real) * (size_t)b->B * T * n_in);
    for (int q = 0; q < b->B; q++) {
        uint64_t k = first + (uint64_t)q;
        const lsnn_mnist *set = &s->train;
        uint64_t img;
        if (stream == LSNN_STREAM_VALID) {
            img = (uint64_t)s->val_off + k % (uint64_t)c->val_size;
        } else if (stream == LSNN_STREAM_TEST) {
            set = &s->test;
            img = k % (uint64_t)s->test.count;
        } else {
            uint64_t epoch = k / (uint64_t)s->n_train;
            img = lsnn__permute(k % (uint64_t)s->n_train, (uint64_t)s->n_train,
                                lsnn_hash4(seed, 0x5e9, epoch, stream));
        }
        const uint8_t *pix = set->images + img * LSNN__PIXELS;
        for (int i = 0; i < LSNN__PIXELS; i++)
            grey[i] = pix[i] / 255.0f;
        lsnn_real *x = b->x + (size_t)q * T * n_in;
        if (strcmp(c->encoding, "threshold") == 0) {
            lsnn_encode_threshold(grey, LSNN__PIXELS, c->n_input / 2, spp, x, n_in, 0);
        } else if (strcmp(c->encoding, "population") == 0) {
            lsnn_rng rng;
            lsnn_rng_derive(&rng, seed, 0x909, stream, k);
            lsnn_encode_population(&rng, grey, LSNN__PIXELS, c->n_input, spp, x, n_in, 0);
        } else {
            lsnn_encode_analog(grey, LSNN__PIXELS, spp, x, n_in, 0);
        }
        if (c->cue)
            for (int t = image_steps; t < T; t++)
                x[(size_t)t * n_in + n_in - 1] = 1;
        b->n_windows[q] = 1;
        b->windows[(size_t)q * b->max_windows] = (lsnn_window){
            T > image_steps ? image_steps : image_steps - c->readout_steps, T, set->labels[img]};
    }
    lsnn_task_rate_targets(cfg, b);
    b->noise_key = lsnn_hash4(seed, 0x4015e, stream, first);
    return LSNN_OK;
}

/* With the cue channel: the pixel channels, then the cue (the last channel). */
static int lsnn__sm_input_groups(const lsnn_config *cfg, lsnn_task_input_group *out, int cap)
{
    lsnn_task_shape sh;
    if (!cfg->smnist.cue || cap < 2 || lsnn__sm_shape(cfg, &sh) != LSNN_OK || sh.n_in < 2)
        return 0;
    out[0] = (lsnn_task_input_group){"pixels", 0, sh.n_in - 1};
    out[1] = (lsnn_task_input_group){"cue", sh.n_in - 1, sh.n_in};
    return 2;
}

const lsnn_task lsnn_task_smnist = {
    .name = "smnist",
    .description = "sequential MNIST / Fashion-MNIST (seed 000 section 4)",
    .shape = lsnn__sm_shape,
    .open = lsnn__sm_open,
    .close = lsnn__sm_close,
    .generate = lsnn__sm_generate,
    .stream_size = lsnn__sm_stream_size,
    .input_groups = lsnn__sm_input_groups,
};
