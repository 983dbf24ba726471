/* The meta-RL environment (lsnn/arena.h): wall clipping at the intersection point, clipping of
 * the step length, goal detection and re-placement inside the arena, rewards, the goal on its
 * ring, uniform placements, determinism, the position code's closed form, parameter checks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "lsnn/arena.h"

static void test_clip(void **state)
{
    (void)state;
    double x, y;
    /* along the x axis: from 0.99 by 0.02 the border is at 1 */
    check_eq(lsnn_arena_clip(0.99, 0, 0.02, 0, 1, &x, &y), 1);
    check_near(x, 1, 1e-15);
    check_near(y, 0, 1e-15);
    /* inside: the end point */
    check_eq(lsnn_arena_clip(0.2, -0.3, 0.01, 0.015, 1, &x, &y), 0);
    check_near(x, 0.21, 1e-15);
    check_near(y, -0.285, 1e-15);
    /* oblique: on the circle and on the segment */
    const double px = 0.6, py = 0.78, vx = 0.03, vy = 0.02;
    check_eq(lsnn_arena_clip(px, py, vx, vy, 1, &x, &y), 1);
    check_near(x * x + y * y, 1, 1e-12);
    const double t = (x - px) / vx;
    check_near(y, py + t * vy, 1e-12); /* collinear */
    check_ge(t, 0);
    check_le(t, 1);
    /* from the border outwards: stays there */
    const double bx = cos(0.3), by = sin(0.3);
    check_eq(lsnn_arena_clip(bx, by, 0.01 * bx, 0.01 * by, 1, &x, &y), 1);
    check_near(x, bx, 1e-12);
    check_near(y, by, 1e-12);
    check_le(x * x + y * y, 1);
    /* a segment that leaves the circle on the far side (through it) */
    check_eq(lsnn_arena_clip(-0.5, 0, 2, 0, 1, &x, &y), 1);
    check_near(x, 1, 1e-12);
}

static lsnn_arena arena_at(double x, double y, double gx, double gy)
{
    const lsnn_arena_params p = LSNN_ARENA_DEFAULTS;
    lsnn_arena e;
    lsnn_arena_reset(&e, &p, 1, 2, 3);
    e.x = x;
    e.y = y;
    e.gx = gx;
    e.gy = gy;
    return e;
}

static void test_step(void **state)
{
    (void)state;
    /* the velocity a_scale a, clipped to the norm a_scale */
    lsnn_arena e = arena_at(0, 0, 0.85, 0);
    check_eq(lsnn_arena_step(&e, 3, 4), 0);
    check_near(e.x, 0.02 * 0.6, 1e-15);
    check_near(e.y, 0.02 * 0.8, 1e-15);
    e = arena_at(0, 0, 0.85, 0);
    lsnn_arena_step(&e, 0.5, -0.25); /* norm 0.56 < 1: not clipped */
    check_near(e.x, 0.01, 1e-15);
    check_near(e.y, -0.005, 1e-15);
    /* a move into the wall: stops on the border, reward -0.02 */
    e = arena_at(-0.995, 0, 0.85, 0);
    check_near(lsnn_arena_step(&e, -1, 0), -0.02, 0);
    check_eq(e.hit_wall, 1);
    check_near(e.x, -1, 1e-15);
    check_eq(e.goals, 0);
    /* reaching the goal: reward 1, counted, the agent put back inside the arena */
    e = arena_at(0.85 - 0.31, 0, 0.85, 0);
    check_eq(lsnn_arena_step(&e, 1, 0), 1);
    check_eq(e.hit_goal, 1);
    check_eq(e.goals, 1);
    check_le(e.x * e.x + e.y * e.y, 1);
    /* just inside and just outside the goal's border */
    e = arena_at(0.85 - 0.2999 - 0.02, 0, 0.85, 0);
    check_eq(lsnn_arena_step(&e, 1, 0), 1);
    e = arena_at(0.85 - 0.3001 - 0.02, 0, 0.85, 0);
    check_eq(lsnn_arena_step(&e, 1, 0), 0);
    check_eq(e.hit_goal, 0);
    /* the goal disc reaches past the border: wall and goal in one step add up */
    e = arena_at(0.995, 0, 0.85, 0);
    e.gx = 0.85;
    check_near(lsnn_arena_step(&e, 1, 0), 1 - 0.02, 1e-15);
    check_eq(e.hit_wall, 1);
    check_eq(e.hit_goal, 1);
}

static void test_placements(void **state)
{
    (void)state;
    const lsnn_arena_params p = LSNN_ARENA_DEFAULTS;
    /* the goal on its ring, the start uniform in the disc: E[r^2] = 1/2, angles uniform */
    double r2 = 0, sx = 0, sy = 0, in_goal = 0;
    const int N = 20000;
    for (int k = 0; k < N; k++) {
        lsnn_arena e;
        lsnn_arena_reset(&e, &p, 7, 1, (uint64_t)k);
        check_near(sqrt(e.gx * e.gx + e.gy * e.gy), 0.85, 1e-12);
        const double q = e.x * e.x + e.y * e.y;
        check_le(q, 1);
        r2 += q;
        sx += e.x;
        sy += e.y;
        const double dx = e.x - e.gx, dy = e.y - e.gy;
        in_goal += dx * dx + dy * dy <= 0.09;
    }
    check_near(r2 / N, 0.5, 0.01);
    check_near(sx / N, 0, 0.01);
    check_near(sy / N, 0, 0.01);
    /* the text's rule lets the start fall into the goal (about 8% of the disc) */
    check_gt(in_goal / N, 0.05);
    /* determinism, and a new episode elsewhere */
    lsnn_arena a, b, c;
    lsnn_arena_reset(&a, &p, 7, 1, 5);
    lsnn_arena_reset(&b, &p, 7, 1, 5);
    lsnn_arena_reset(&c, &p, 7, 1, 6);
    check_eq(a.x, b.x);
    check_eq(a.gy, b.gy);
    check_ne(a.gx, c.gx);
    for (int k = 0; k < 500; k++) {
        const double ra = lsnn_arena_step(&a, sin(k), cos(3 * k));
        const double rb = lsnn_arena_step(&b, sin(k), cos(3 * k));
        check_eq(ra, rb);
        check_eq(a.x, b.x);
    }
    /* start_outside_goal: never inside */
    lsnn_arena_params q = p;
    q.start_outside_goal = 1;
    for (int k = 0; k < 2000; k++) {
        lsnn_arena e;
        lsnn_arena_reset(&e, &q, 9, 1, (uint64_t)k);
        const double dx = e.x - e.gx, dy = e.y - e.gy;
        check_gt(dx * dx + dy * dy, 0.09);
    }
}

static void test_rates_and_checks(void **state)
{
    (void)state;
    double r[40];
    lsnn_arena_place_rates(0.3, 40, 500, 100, r);
    for (int i = 0; i < 40; i++) {
        const double c = -1 + 2.0 * i / 39;
        check_near(r[i], 500 * exp(-100 * (c - 0.3) * (c - 0.3)), 1e-10);
    }
    check_near(r[0], 500 * exp(-100 * 1.69), 1e-12); /* xi_0 = -1 */
    lsnn_arena_params p = LSNN_ARENA_DEFAULTS;
    assert_int_equal(lsnn_arena_check(&p), LSNN_OK);
    p.goal_ring = 1.2;
    assert_int_equal(lsnn_arena_check(&p), LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "goal_ring"));
    p.goal_ring = 0.85;
    p.a_scale = NAN;
    assert_int_equal(lsnn_arena_check(&p), LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "a_scale"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clip),
        cmocka_unit_test(test_step),
        cmocka_unit_test(test_placements),
        cmocka_unit_test(test_rates_and_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
