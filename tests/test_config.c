/* Tests of the JSON configuration (lsnn/config.h, src/io/config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/config_doc.h"
#include "lsnn/config.h"

/* ------------------------------------------------------------------------------------------- */

static const char *binary_dir(void)
{
    const char *d = getenv("LSNN_BINARY_DIR");
    if (d && *d)
        return d;
    d = getenv("TMPDIR");
    return d && *d ? d : "/tmp";
}

/* LSNN_SOURCE_DIR, else derived from this file's path (CMake compiles it by absolute path). */
static const char *source_dir(void)
{
    static char buf[4096];
    const char *d = getenv("LSNN_SOURCE_DIR");
    if (d && *d)
        return d;
    snprintf(buf, sizeof buf, "%s", __FILE__);
    char *p = strstr(buf, "/tests/test_config.c");
    if (p) {
        *p = '\0';
        return buf;
    }
    return ".";
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void temp_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/test_config_%ld_%s", binary_dir(), (long)getpid(), name);
}

/* Parses `json` (origin "cfg.json") into a default config and expects failure with `msg`. */
static void expect_parse_error(const char *json, const char *msg)
{
    lsnn_config c;
    lsnn_config_defaults(&c);
    lsnn_status st = lsnn_config_parse(&c, json, "cfg.json");
    if (st != LSNN_ERR_CONFIG || strcmp(lsnn_last_error(), msg) != 0)
        fail_msg("json %s\n  status %d, message: %s\n  expected: %s", json, (int)st,
                 lsnn_last_error(), msg);
}

static void expect_parse_error_prefix(const char *json, const char *prefix)
{
    lsnn_config c;
    lsnn_config_defaults(&c);
    lsnn_status st = lsnn_config_parse(&c, json, "cfg.json");
    if (st != LSNN_ERR_CONFIG || strncmp(lsnn_last_error(), prefix, strlen(prefix)) != 0)
        fail_msg("json %s\n  status %d, message: %s\n  expected prefix: %s", json, (int)st,
                 lsnn_last_error(), prefix);
}

static void expect_set_error(const char *assignment, const char *msg)
{
    lsnn_config c;
    lsnn_config_defaults(&c);
    lsnn_status st = lsnn_config_set(&c, assignment);
    if (st != LSNN_ERR_CONFIG || strncmp(lsnn_last_error(), msg, strlen(msg)) != 0)
        fail_msg("--set %s\n  status %d, message: %s\n  expected: %s", assignment, (int)st,
                 lsnn_last_error(), msg);
}

/* ------------------------------------------------------------------------------------------- */

static void test_defaults(void **state)
{
    (void)state;
    lsnn_config c;
    lsnn_config_defaults(&c);
    assert_string_equal(c.task, "store_recall");
    assert_string_equal(c.learning, "bptt");
    assert_int_equal(c.seed, 1);
    assert_int_equal(c.iterations, 400);
    assert_int_equal(c.batch_size, 64);
    check_eq(c.lr, 0.01);
    assert_int_equal(c.log_every, 10);
    assert_int_equal(c.eval_every, 50);
    assert_string_equal(c.optim.name, "adam");
    check_eq(c.optim.beta1, 0.9);
    check_eq(c.optim.beta2, 0.999);
    check_eq(c.optim.epsilon, 1e-8);
    check_eq(c.optim.lr_decay, 1.0);
    check_eq(c.optim.lr_decay_every, 0);
    check_eq(c.optim.clip_norm, 0);
    assert_int_equal(c.network.n_regular, 20);
    assert_int_equal(c.network.n_adaptive, 20);
    check_eq(c.network.dt, 1.0);
    check_eq(c.network.tau_m, 20);
    check_eq(c.network.tau_a, 1200);
    check_eq(c.network.beta, 1.8);
    check_eq(c.network.b0, 0.01);
    check_eq(c.network.gamma, 0.3);
    assert_int_equal(c.network.refractory, 2);
    assert_string_equal(c.network.input_scaling, "leaky");
    check_eq(c.network.w0, 1.0);
    check_eq(c.network.w0_out, 1.0);
    assert_int_equal(c.network.max_delay, 1);
    check_eq(c.network.noise_std, 0);
    check_eq(c.network.train_noise, 0);
    check_eq(c.network.readout_tau, 20);
    check_eq(c.loss.rate_target, 10);
    check_eq(c.loss.rate_reg, 0);
    assert_int_equal(c.store_recall.n_values, 2);
    assert_int_equal(c.store_recall.n_symbols, 12);
    assert_int_equal(c.store_recall.symbol_ms, 200);
    assert_int_equal(c.store_recall.group_size, 25);
    check_eq(c.store_recall.rate_hz, 50);
    check_near(c.store_recall.p_command, 1.0 / 6.0, 1e-9);
    assert_int_equal(c.store_recall.val_size, 256);
    assert_int_equal(lsnn_config_validate(&c, "defaults"), LSNN_OK);
}

static void test_parse_nested(void **state)
{
    (void)state;
    lsnn_config c;
    lsnn_config_defaults(&c);
    const char *json = "{\n"
                       "  \"seed\": 42, \"lr\": 0.5, \"learning\": \"eprop\",\n"
                       "  \"optimizer\": {\"name\": \"sgd\", \"clip_norm\": 1.5},\n"
                       "  \"network\": {\"tau_m\": 30, \"n_adaptive\": 0, \"input_scaling\": "
                       "\"plain\", \"train_noise\": true, \"max_delay\": 5},\n"
                       "  \"loss\": {\"rate_target\": 25}, \"eprop\": {\"rate_reg\": 0.25},\n"
                       "  \"store_recall\": {\"n_values\": 4, \"p_command\": 0.2}\n"
                       "}";
    assert_int_equal(lsnn_config_parse(&c, json, "cfg.json"), LSNN_OK);
    assert_int_equal(c.seed, 42);
    check_eq(c.lr, 0.5);
    assert_string_equal(c.learning, "eprop");
    assert_string_equal(c.optim.name, "sgd");
    check_eq(c.optim.clip_norm, 1.5);
    check_eq(c.network.tau_m, 30);
    assert_int_equal(c.network.n_adaptive, 0);
    assert_string_equal(c.network.input_scaling, "plain");
    assert_int_equal(c.network.train_noise, 1);
    assert_int_equal(c.network.max_delay, 5);
    check_eq(c.loss.rate_target, 25);
    check_eq(c.eprop.rate_reg, 0.25);
    assert_int_equal(c.store_recall.n_values, 4);
    check_eq(c.store_recall.p_command, 0.2);
    /* untouched keys keep their values */
    assert_int_equal(c.network.n_regular, 20);
    assert_int_equal(c.batch_size, 64);
    check_eq(c.optim.beta1, 0.9);

    /* empty object and empty sections are fine; bools accept 0/1 */
    assert_int_equal(lsnn_config_parse(&c, "{}", "cfg.json"), LSNN_OK);
    assert_int_equal(lsnn_config_parse(&c, "{\"network\": {}, \"loss\": {}}", "cfg.json"), LSNN_OK);
    assert_int_equal(lsnn_config_parse(&c, "{\"network\": {\"train_noise\": 0}}", "cfg.json"),
                     LSNN_OK);
    assert_int_equal(c.network.train_noise, 0);
    /* big seeds as a string of digits */
    assert_int_equal(lsnn_config_parse(&c, "{\"seed\": \"18446744073709551615\"}", "cfg.json"),
                     LSNN_OK);
    assert_true(c.seed == 18446744073709551615ULL);
}

static void test_unknown_keys(void **state)
{
    (void)state;
    expect_parse_error("{\"foo\": 1}", "cfg.json: foo: unknown key");
    expect_parse_error_prefix("{\"network\": {\"tau_x\": 1}}",
                              "cfg.json: network.tau_x: unknown key");
    expect_parse_error("{\"networks\": {}}",
                       "cfg.json: networks: unknown key (did you mean network?)");
    /* sub-structs are not keys of other sections, the C name "optim" is not a JSON key */
    expect_parse_error_prefix("{\"optim\": {}}", "cfg.json: optim: unknown key");
    expect_parse_error("{\"network\": {\"network\": {}}}",
                       "cfg.json: network.network: unknown key");
    expect_parse_error("{\"tau_m\": 20}", "cfg.json: tau_m: unknown key");
    /* a huge key is truncated in the message */
    char json[2200], *p = json;
    p += sprintf(p, "{\"");
    for (int i = 0; i < 2000; i++)
        *p++ = 'k';
    sprintf(p, "\": 1}");
    lsnn_config c;
    lsnn_config_defaults(&c);
    assert_int_equal(lsnn_config_parse(&c, json, "cfg.json"), LSNN_ERR_CONFIG);
    check_lt(strlen(lsnn_last_error()), 120);
    assert_non_null(strstr(lsnn_last_error(), "...: unknown key"));
    /* case matters */
    expect_parse_error_prefix("{\"LR\": 0.1}", "cfg.json: LR: unknown key");
    /* duplicates are rejected */
    expect_parse_error("{\"lr\": 0.1, \"lr\": 0.2}", "cfg.json: lr: duplicate key");
}

static void test_wrong_types(void **state)
{
    (void)state;
    expect_parse_error("{\"network\": {\"tau_m\": \"20\"}}",
                       "cfg.json: network.tau_m: expected a number, got a string");
    expect_parse_error("{\"network\": {\"tau_m\": null}}",
                       "cfg.json: network.tau_m: expected a number, got null");
    expect_parse_error("{\"batch_size\": true}",
                       "cfg.json: batch_size: expected an integer, got true");
    expect_parse_error("{\"task\": 3}", "cfg.json: task: expected a string, got 3");
    expect_parse_error("{\"network\": 3}", "cfg.json: network: expected an object, got 3");
    expect_parse_error("{\"loss\": [1, 2]}", "cfg.json: loss: expected an object, got an array");
    expect_parse_error("{\"network\": {\"train_noise\": 2}}",
                       "cfg.json: network.train_noise: expected true or false (or 1 or 0), got 2");
    expect_parse_error(
        "{\"seed\": -1}",
        "cfg.json: seed: expected an integer between 0 and 18446744073709551615, got -1");
    expect_parse_error_prefix("{\"seed\": 1e17}",
                              "cfg.json: seed: integers above 2^53 must be given");
    expect_parse_error("{\"optimizer\": {\"name\": \"rmsprop\"}}",
                       "cfg.json: optimizer.name: must be one of: adam, sgd; got 'rmsprop'");
    expect_parse_error_prefix("{\"task\": \"a_very_long_task_name_beyond_the_limit\"}",
                              "cfg.json: task: string too long (at most 31 characters)");
    expect_parse_error("[1, 2]", "cfg.json: the top level must be a JSON object, got an array");
    expect_parse_error("3", "cfg.json: the top level must be a JSON object, got 3");
}

static void test_integers(void **state)
{
    (void)state;
    expect_parse_error("{\"batch_size\": 1.5}",
                       "cfg.json: batch_size: expected an integer, got 1.5");
    expect_parse_error("{\"iterations\": 1e10}",
                       "cfg.json: iterations: expected an integer between 0 and 2147483647, "
                       "got 10000000000");
    expect_parse_error("{\"batch_size\": -1e10}",
                       "cfg.json: batch_size: expected an integer between 1 and 65536, got "
                       "-10000000000");
    /* integral values written with an exponent or a fraction of zero are fine */
    lsnn_config c;
    lsnn_config_defaults(&c);
    assert_int_equal(lsnn_config_parse(&c, "{\"batch_size\": 1e2, \"iterations\": 7.0}", "x"),
                     LSNN_OK);
    assert_int_equal(c.batch_size, 100);
    assert_int_equal(c.iterations, 7);
}

static void test_non_finite(void **state)
{
    (void)state;
    expect_set_error("lr=nan", "--set: lr: expected a finite number, got 'nan'");
    expect_set_error("lr=inf", "--set: lr: expected a finite number, got 'inf'");
    expect_set_error("network.tau_m=1e999",
                     "--set: network.tau_m: expected a finite number, got '1e999'");
    expect_parse_error("{\"lr\": 1e999}", "cfg.json: lr: expected a finite number, got inf");
    expect_parse_error("{\"network\": {\"beta\": -1e999}}",
                       "cfg.json: network.beta: expected a finite number, got -inf");
    expect_parse_error("{\"batch_size\": 1e999}",
                       "cfg.json: batch_size: expected an integer, got inf");
    /* validate catches non-finite values set from C */
    lsnn_config c;
    lsnn_config_defaults(&c);
    c.network.gamma = NAN;
    assert_int_equal(lsnn_config_validate(&c, "x"), LSNN_ERR_CONFIG);
    assert_string_equal(lsnn_last_error(), "x: network.gamma: must be a finite number, got nan");
}

static void test_ranges(void **state)
{
    (void)state;
    expect_parse_error("{\"network\": {\"n_regular\": 0, \"n_adaptive\": 0}}",
                       "cfg.json: network: n_regular + n_adaptive must be >= 1 (zero neurons)");
    expect_parse_error("{\"batch_size\": 0}",
                       "cfg.json: batch_size: must be between 1 and 65536, got 0");
    expect_parse_error("{\"batch_size\": 65537}",
                       "cfg.json: batch_size: must be between 1 and 65536, got 65537");
    expect_parse_error("{\"network\": {\"tau_m\": -3}}",
                       "cfg.json: network.tau_m: must be > 0, got -3");
    expect_parse_error("{\"network\": {\"dt\": 0}}", "cfg.json: network.dt: must be > 0, got 0");
    expect_parse_error("{\"network\": {\"n_regular\": 1000001}}",
                       "cfg.json: network.n_regular: must be between 0 and 1000000, got 1000001");
    expect_parse_error("{\"network\": {\"max_delay\": 0}}",
                       "cfg.json: network.max_delay: must be between 1 and 64, got 0");
    expect_parse_error("{\"optimizer\": {\"beta1\": 1}}",
                       "cfg.json: optimizer.beta1: must be in (0, 1), got 1");
    expect_parse_error("{\"optimizer\": {\"epsilon\": 0}}",
                       "cfg.json: optimizer.epsilon: must be > 0, got 0");
    expect_parse_error("{\"lr\": -0.1}", "cfg.json: lr: must be > 0, got -0.1");
    expect_parse_error("{\"iterations\": -1}", "cfg.json: iterations: must be >= 0, got -1");
    expect_parse_error("{\"store_recall\": {\"p_command\": 0}}",
                       "cfg.json: store_recall.p_command: must be in (0, 1], got 0");
    expect_parse_error("{\"store_recall\": {\"n_values\": 17}}",
                       "cfg.json: store_recall.n_values: must be between 2 and 16, got 17");
    expect_parse_error("{\"network\": {\"readout_tau\": -1}}",
                       "cfg.json: network.readout_tau: must be >= 0, got -1");
    expect_parse_error_prefix("{\"store_recall\": {\"n_symbols\": 4096, \"symbol_ms\": 5000}}",
                              "cfg.json: store_recall: n_symbols * symbol_ms must be <= 10000000");
    expect_parse_error_prefix(
        "{\"store_recall\": {\"rate_hz\": 2000}}",
        "cfg.json: store_recall.rate_hz: rate_hz * network.dt / 1000 must be <= 1");
    /* boundary values are accepted */
    lsnn_config c;
    lsnn_config_defaults(&c);
    assert_int_equal(lsnn_config_parse(&c,
                                       "{\"batch_size\": 65536, \"network\": {\"n_regular\": 0, "
                                       "\"max_delay\": 64, \"readout_tau\": 0}, "
                                       "\"store_recall\": {\"p_command\": 1}}",
                                       "cfg.json"),
                     LSNN_OK);
    /* the header's example message */
    c.network.tau_m = -3;
    assert_int_equal(lsnn_config_validate(&c, "configs/x.json"), LSNN_ERR_CONFIG);
    assert_string_equal(lsnn_last_error(), "configs/x.json: network.tau_m: must be > 0, got -3");
}

static void test_syntax_error(void **state)
{
    (void)state;
    lsnn_config c;
    lsnn_config_defaults(&c);
    const char *json = "{\n  \"lr\": 0.1,\n  \"seed\" 3\n}\n";
    assert_int_equal(lsnn_config_parse(&c, json, "cfg.json"), LSNN_ERR_CONFIG);
    const char *msg = lsnn_last_error();
    if (strncmp(msg, "cfg.json: JSON syntax error at line 3", 37) != 0)
        fail_msg("message: %s", msg);
    assert_int_equal(lsnn_config_parse(&c, "{\"lr\": 0.1", "cfg.json"), LSNN_ERR_CONFIG);
    assert_non_null(strstr(lsnn_last_error(), "line 1"));
    assert_int_equal(lsnn_config_parse(&c, "", "cfg.json"), LSNN_ERR_CONFIG);
    assert_non_null(strstr(lsnn_last_error(), "cfg.json: JSON syntax error"));
    /* trailing garbage after the object */
    assert_int_equal(lsnn_config_parse(&c, "{}\n{}", "cfg.json"), LSNN_ERR_CONFIG);
    assert_non_null(strstr(lsnn_last_error(), "line 2"));
}

static void test_set(void **state)
{
    (void)state;
    lsnn_config c;
    lsnn_config_defaults(&c);
    assert_int_equal(lsnn_config_set(&c, "network.n_adaptive=40"), LSNN_OK);
    assert_int_equal(c.network.n_adaptive, 40);
    assert_int_equal(lsnn_config_set(&c, "lr=1e-3"), LSNN_OK);
    check_eq(c.lr, 1e-3);
    assert_int_equal(lsnn_config_set(&c, "optimizer.name=sgd"), LSNN_OK); /* bare string */
    assert_string_equal(c.optim.name, "sgd");
    assert_int_equal(lsnn_config_set(&c, "optimizer.name=\"adam\""), LSNN_OK); /* JSON string */
    assert_string_equal(c.optim.name, "adam");
    assert_int_equal(lsnn_config_set(&c, "network.train_noise=true"), LSNN_OK);
    assert_int_equal(c.network.train_noise, 1);
    assert_int_equal(lsnn_config_set(&c, "network.train_noise=0"), LSNN_OK);
    assert_int_equal(c.network.train_noise, 0);
    assert_int_equal(lsnn_config_set(&c, " seed = 18446744073709551615 "), LSNN_OK);
    assert_true(c.seed == 18446744073709551615ULL);
    assert_int_equal(lsnn_config_set(&c, "seed=12345678901234567"), LSNN_OK); /* > 2^53, exact */
    assert_true(c.seed == 12345678901234567ULL);

    expect_set_error("network.tau_x=3", "--set: network.tau_x: unknown key");
    expect_set_error("nosuchkey=3", "--set: nosuchkey: unknown key");
    expect_set_error("network=3", "--set: network: is a section, not a key");
    expect_set_error("lr", "--set: expected key=value, got 'lr'");
    expect_set_error("=3", "--set: missing key before '='");
    expect_set_error("lr=", "--set: lr: expected a finite number, got ''");
    expect_set_error("batch_size=abc", "--set: batch_size: expected an integer, got 'abc'");
    expect_set_error("batch_size=2.5", "--set: batch_size: expected an integer, got '2.5'");
    expect_set_error("batch_size=0", "--set: batch_size: must be between 1 and 65536, got 0");
    expect_set_error("network.train_noise=yes",
                     "--set: network.train_noise: expected true or false (or 1 or 0), got 'yes'");
    expect_set_error("seed=18446744073709551616", "--set: seed: expected an integer between 0 and");
    expect_set_error("learning=sgd", "--set: learning: must be one of: bptt, eprop, ppo; got 'sgd'");
}

static void test_transactional(void **state)
{
    (void)state;
    lsnn_config c;
    lsnn_config_defaults(&c);
    assert_int_equal(lsnn_config_set(&c, "network.tau_m=25"), LSNN_OK);
    char *before = lsnn_config_to_json(&c);
    assert_non_null(before);

    /* valid keys come first, then an error: nothing is applied */
    assert_int_equal(lsnn_config_parse(&c,
                                       "{\"lr\": 0.5, \"network\": {\"tau_a\": 7, \"tau_x\": 1}}",
                                       "cfg.json"),
                     LSNN_ERR_CONFIG);
    /* type fine, range fails at validation */
    assert_int_equal(lsnn_config_parse(&c, "{\"lr\": 0.5, \"batch_size\": 0}", "cfg.json"),
                     LSNN_ERR_CONFIG);
    assert_int_equal(lsnn_config_parse(&c, "{\"lr\": 0.5,", "cfg.json"), LSNN_ERR_CONFIG);
    assert_int_equal(lsnn_config_set(&c, "network.tau_m=-1"), LSNN_ERR_CONFIG);
    assert_int_equal(lsnn_config_set(&c, "network.n_regular=0"), LSNN_OK);
    assert_int_equal(lsnn_config_set(&c, "network.n_regular=20"), LSNN_OK);

    char path[1024];
    temp_path(path, sizeof path, "bad.json");
    write_text(path, "{\"lr\": 0.5, \"network\": {\"tau_m\": \"x\"}}");
    assert_int_equal(lsnn_config_load(&c, path), LSNN_ERR_CONFIG);
    remove(path);
    temp_path(path, sizeof path, "does_not_exist.json");
    assert_int_equal(lsnn_config_load(&c, path), LSNN_ERR_IO);

    char *after = lsnn_config_to_json(&c);
    assert_non_null(after);
    assert_string_equal(before, after);
    check_eq(c.network.tau_m, 25);
    free(before);
    free(after);
}

/* An override checks its own key only; the constraints between keys wait for
 * lsnn_config_validate, so that overrides may come in any order. */
static void test_set_order(void **state)
{
    (void)state;
    lsnn_config c;
    lsnn_config_defaults(&c);
    assert_int_equal(lsnn_config_set(&c, "network.n_regular=0"), LSNN_OK);
    assert_int_equal(lsnn_config_set(&c, "network.n_adaptive=0"), LSNN_OK);
    assert_int_equal(lsnn_config_validate(&c, "sets"), LSNN_ERR_CONFIG);
    assert_non_null(strstr(lsnn_last_error(), "n_regular + n_adaptive must be >= 1"));
    assert_int_equal(lsnn_config_set(&c, "network.n_regular=20"), LSNN_OK);
    assert_int_equal(lsnn_config_set(&c, "deepr.enabled=true"), LSNN_OK);
    assert_int_equal(lsnn_config_validate(&c, "sets"), LSNN_ERR_CONFIG);
    assert_int_equal(lsnn_config_set(&c, "network.init=signed"), LSNN_OK);
    assert_int_equal(lsnn_config_set(&c, "network.connectivity=0.12"), LSNN_OK);
    assert_int_equal(lsnn_config_validate(&c, "sets"), LSNN_OK);
    /* learning and the two rate regularisations */
    assert_int_equal(lsnn_config_set(&c, "eprop.rate_reg=0.1"), LSNN_OK);
    assert_int_equal(lsnn_config_validate(&c, "sets"), LSNN_ERR_CONFIG);
    assert_non_null(strstr(lsnn_last_error(), "eprop.rate_reg: set for learning \"bptt\""));
    assert_int_equal(lsnn_config_set(&c, "learning=eprop"), LSNN_OK);
    assert_int_equal(lsnn_config_validate(&c, "sets"), LSNN_OK);
    assert_int_equal(lsnn_config_set(&c, "loss.rate_reg=0.1"), LSNN_OK);
    assert_int_equal(lsnn_config_validate(&c, "sets"), LSNN_ERR_CONFIG);
    assert_non_null(strstr(lsnn_last_error(), "loss.rate_reg: the batch-wide"));
}

static void test_load(void **state)
{
    (void)state;
    char path[1024];
    temp_path(path, sizeof path, "ok.json");
    write_text(path, "{\n  \"iterations\": 9,\n  \"network\": {\"tau_a\": 600}\n}\n");
    lsnn_config c;
    lsnn_config_defaults(&c);
    c.batch_size = 3; /* load starts from the defaults, not from cfg */
    assert_int_equal(lsnn_config_load(&c, path), LSNN_OK);
    assert_int_equal(c.iterations, 9);
    check_eq(c.network.tau_a, 600);
    assert_int_equal(c.batch_size, 64);

    /* errors name the file */
    write_text(path, "{\n\n  \"network\": {\"tau_a\": 600,}\n}\n");
    assert_int_equal(lsnn_config_load(&c, path), LSNN_ERR_CONFIG);
    assert_true(strncmp(lsnn_last_error(), path, strlen(path)) == 0);
    assert_non_null(strstr(lsnn_last_error(), "line 3"));

    temp_path(path, sizeof path, "missing.json");
    assert_int_equal(lsnn_config_load(&c, path), LSNN_ERR_IO);
    assert_non_null(strstr(lsnn_last_error(), "cannot open"));

    /* too big */
    temp_path(path, sizeof path, "big.json");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("{\"lr\": 0.1", f);
    for (int i = 0; i < 1100000; i++)
        fputc(' ', f);
    fputs("}", f);
    fclose(f);
    assert_int_equal(lsnn_config_load(&c, path), LSNN_ERR_CONFIG);
    assert_non_null(strstr(lsnn_last_error(), "larger than 1 MB"));
    remove(path);

    /* a directory */
    assert_int_not_equal(lsnn_config_load(&c, binary_dir()), LSNN_OK);
    temp_path(path, sizeof path, "ok.json");
    remove(path);
}

static void test_round_trip(void **state)
{
    (void)state;
    lsnn_config a;
    lsnn_config_defaults(&a);
    a.lr = 0.1 + 0.2; /* not the shortest decimal */
    a.seed = 18446744073709551557ULL;
    a.network.tau_m = 1.0 / 3.0;
    a.network.b0 = 1e-300;
    a.network.beta = 0.0;
    a.network.train_noise = 1;
    a.store_recall.p_command = 1.0 / 6.0;
    a.optim.epsilon = 5e-324; /* smallest subnormal */
    a.optim.clip_norm = 1.7976931348623157e308;
    snprintf(a.learning, sizeof a.learning, "eprop");
    snprintf(a.network.input_scaling, sizeof a.network.input_scaling, "plain");
    a.random.input_rate = 0.125; /* the "random" section is written only when not all default */
    a.l2l.width = 0.25;          /* and so is "l2l" */
    a.meta_rl.discount = 0.5;    /* and "meta_rl" */
    a.alstm.kappa = 0.25;        /* and "alstm" */
    a.external.windows = 2;      /* and "external" */
    assert_int_equal(lsnn_config_validate(&a, "a"), LSNN_OK);

    char *ja = lsnn_config_to_json(&a);
    assert_non_null(ja);
    lsnn_config b;
    lsnn_config_defaults(&b);
    if (lsnn_config_parse(&b, ja, "to_json") != LSNN_OK)
        fail_msg("%s\n%s", lsnn_last_error(), ja);
    char *jb = lsnn_config_to_json(&b);
    assert_non_null(jb);
    assert_string_equal(ja, jb);

    /* field by field for the tricky ones */
    check_eq(b.lr, a.lr);
    assert_int_equal(b.seed, a.seed);
    check_eq(b.network.tau_m, a.network.tau_m);
    check_eq(b.network.b0, a.network.b0);
    check_eq(b.store_recall.p_command, a.store_recall.p_command);
    check_eq(b.optim.epsilon, a.optim.epsilon);
    check_eq(b.optim.clip_norm, a.optim.clip_norm);
    assert_int_equal(b.network.train_noise, 1);
    assert_string_equal(b.learning, "eprop");
    assert_string_equal(b.network.input_scaling, "plain");

    /* every key is emitted, nested under its section */
    for (size_t i = 0; i < lsnn__config_key_count(); i++) {
        const char *key = lsnn__config_key_name(i);
        const char *dot = strchr(key, '.');
        char needle[128];
        snprintf(needle, sizeof needle, "\"%s\":", dot ? dot + 1 : key);
        if (!strstr(ja, needle))
            fail_msg("key %s missing from to_json output:\n%s", key, ja);
    }
    assert_non_null(strstr(ja, "\"optimizer\": {"));
    assert_null(strstr(ja, "\"optim\":"));
    assert_null(lsnn__config_key_name(lsnn__config_key_count()));

    /* defaults round-trip too, and each key can be --set to its own serialised value */
    lsnn_config d;
    lsnn_config_defaults(&d);
    char *jd = lsnn_config_to_json(&d);
    assert_null(strstr(jd, "\"random\""));
    assert_null(strstr(jd, "\"l2l\""));
    assert_null(strstr(jd, "\"meta_rl\""));
    lsnn_config e;
    lsnn_config_defaults(&e);
    e.batch_size = 5;
    assert_int_equal(lsnn_config_parse(&e, jd, "defaults"), LSNN_OK);
    assert_int_equal(e.batch_size, 64);
    free(jd);
    free(ja);
    free(jb);
}

static void test_docs(void **state)
{
    (void)state;
    char gen_path[1024];
    snprintf(gen_path, sizeof gen_path, "%s/CONFIG.generated.md", binary_dir());
    FILE *f = fopen(gen_path, "wb");
    assert_non_null(f);
    lsnn__config_write_markdown(f);
    assert_int_equal(fclose(f), 0);
    char *generated = read_text(gen_path);
    assert_non_null(generated);

    char doc_path[4200];
    snprintf(doc_path, sizeof doc_path, "%s/docs/CONFIG.md", source_dir());
    char *doc = read_text(doc_path);
    if (!doc)
        fail_msg("cannot read %s", doc_path);

    size_t n = lsnn__config_key_count();
    check_ge(n, 40);
    for (size_t i = 0; i < n; i++) {
        char needle[128];
        snprintf(needle, sizeof needle, "| `%s` |", lsnn__config_key_name(i));
        if (!strstr(doc, needle))
            fail_msg("key %s is not documented in %s", lsnn__config_key_name(i), doc_path);
        if (!strstr(generated, needle))
            fail_msg("key %s is missing from the generated table", lsnn__config_key_name(i));
    }
    if (!strstr(doc, generated))
        fail_msg("%s is stale: replace its generated part with %s", doc_path, gen_path);
    free(generated);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),     cmocka_unit_test(test_parse_nested),
        cmocka_unit_test(test_unknown_keys), cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_integers),     cmocka_unit_test(test_non_finite),
        cmocka_unit_test(test_ranges),       cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_set),          cmocka_unit_test(test_transactional),
        cmocka_unit_test(test_set_order),
        cmocka_unit_test(test_load),         cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_docs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
