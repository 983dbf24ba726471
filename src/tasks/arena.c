/* The meta-RL navigation environment and its position code (see lsnn/arena.h). */
#include <math.h>
#include <string.h>

#include "lsnn/arena.h"

#define LSNN__TWO_PI 6.28318530717958647692

lsnn_status lsnn_arena_check(const lsnn_arena_params *p)
{
    if (!(p->radius > 0) || !isfinite(p->radius))
        return lsnn_error(LSNN_ERR_ARG, "arena: radius = %g: must be a positive number",
                          p->radius);
    if (!(p->goal_radius > 0) || !isfinite(p->goal_radius))
        return lsnn_error(LSNN_ERR_ARG, "arena: goal_radius = %g: must be a positive number",
                          p->goal_radius);
    if (!(p->goal_ring >= 0 && p->goal_ring <= p->radius))
        return lsnn_error(LSNN_ERR_ARG,
                          "arena: goal_ring = %g: the goal centres must lie in the arena "
                          "(0 to radius %g)",
                          p->goal_ring, p->radius);
    if (!(p->a_scale > 0) || !isfinite(p->a_scale))
        return lsnn_error(LSNN_ERR_ARG, "arena: a_scale = %g: must be a positive number",
                          p->a_scale);
    if (!isfinite(p->goal_reward) || !isfinite(p->wall_reward))
        return lsnn_error(LSNN_ERR_ARG, "arena: the rewards (%g, %g) must be finite numbers",
                          p->goal_reward, p->wall_reward);
    /* Placements outside the goal must be possible: the goal may not cover the arena. */
    if (p->start_outside_goal && p->goal_radius >= p->radius + p->goal_ring)
        return lsnn_error(LSNN_ERR_ARG, "arena: start_outside_goal: the goal (radius %g at %g) "
                                        "covers the whole arena",
                          p->goal_radius, p->goal_ring);
    return LSNN_OK;
}

static int lsnn__in_goal(const lsnn_arena *e, double x, double y)
{
    const double dx = x - e->gx, dy = y - e->gy;
    return dx * dx + dy * dy <= e->p.goal_radius * e->p.goal_radius;
}

/* A place uniform in the arena (outside the goal when asked). */
static void lsnn__place(lsnn_arena *e)
{
    do {
        const double r = e->p.radius * sqrt(lsnn_rng_uniform(&e->rng));
        const double a = LSNN__TWO_PI * lsnn_rng_uniform(&e->rng);
        e->x = r * cos(a);
        e->y = r * sin(a);
    } while (e->p.start_outside_goal && lsnn__in_goal(e, e->x, e->y));
}

void lsnn_arena_reset(lsnn_arena *e, const lsnn_arena_params *p, uint64_t seed, uint64_t stream,
                      uint64_t episode)
{
    memset(e, 0, sizeof *e);
    e->p = *p;
    lsnn_rng_derive(&e->rng, seed, 0xa7e0, stream, episode);
    const double a = LSNN__TWO_PI * lsnn_rng_uniform(&e->rng);
    e->gx = p->goal_ring * cos(a);
    e->gy = p->goal_ring * sin(a);
    lsnn__place(e);
}

int lsnn_arena_clip(double x, double y, double vx, double vy, double r, double *ox, double *oy)
{
    const double ex = x + vx, ey = y + vy;
    if (ex * ex + ey * ey <= r * r) {
        *ox = ex;
        *oy = ey;
        return 0;
    }
    /* |p + t v| = r: t^2 |v|^2 + 2 t p.v + |p|^2 - r^2 = 0, the root in (0, 1]. With p inside,
     * the constant term is <= 0, so the discriminant is >= (p.v)^2 and the larger root is >= 0.
     * The stable form of that root avoids cancelling -p.v against the square root. */
    const double a = vx * vx + vy * vy, b = x * vx + y * vy, c = x * x + y * y - r * r;
    const double disc = b * b - a * c, s = sqrt(disc > 0 ? disc : 0);
    double t = b > 0 ? -c / (b + s) : (s - b) / a;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double px = x + t * vx, py = y + t * vy;
    const double n = sqrt(px * px + py * py);
    if (n > r) { /* rounding: put it on the border, never outside */
        px *= r / n;
        py *= r / n;
    }
    *ox = px;
    *oy = py;
    return 1;
}

double lsnn_arena_step(lsnn_arena *e, double ax, double ay)
{
    double vx = e->p.a_scale * ax, vy = e->p.a_scale * ay;
    const double norm = sqrt(vx * vx + vy * vy);
    if (norm > e->p.a_scale) {
        vx *= e->p.a_scale / norm;
        vy *= e->p.a_scale / norm;
    }
    double reward = 0;
    e->hit_wall = lsnn_arena_clip(e->x, e->y, vx, vy, e->p.radius, &e->x, &e->y);
    if (e->hit_wall)
        reward += e->p.wall_reward;
    e->hit_goal = lsnn__in_goal(e, e->x, e->y);
    if (e->hit_goal) {
        reward += e->p.goal_reward;
        e->goals++;
        lsnn__place(e);
    }
    return reward;
}

void lsnn_arena_place_rates(double xi, int n, double r_max, double k, double *out)
{
    for (int i = 0; i < n; i++) {
        const double c = n > 1 ? -1 + 2.0 * i / (n - 1) : 0, d = c - xi;
        out[i] = r_max * exp(-k * d * d);
    }
}
