/* The T-maze (lsnn/tmaze.h). */
#include <math.h>
#include <string.h>

#include "lsnn/tmaze.h"

lsnn_status lsnn_tmaze_check(const lsnn_tmaze_params *p)
{
    if (p->length < 1 || p->length > 1000000)
        return lsnn_error(LSNN_ERR_ARG, "T-maze: length %d outside 1..1000000", p->length);
    if (!isfinite(p->goal_reward) || !isfinite(p->wrong_reward) || !isfinite(p->wall_reward))
        return lsnn_error(LSNN_ERR_ARG, "T-maze: the rewards must be finite");
    return LSNN_OK;
}

void lsnn_tmaze_reset(lsnn_tmaze *e, const lsnn_tmaze_params *p, uint64_t seed, uint64_t stream,
                      uint64_t episode)
{
    memset(e, 0, sizeof *e);
    e->p = *p;
    lsnn_rng_derive(&e->rng, seed, 0x746d617au, stream, episode);
    e->north = (int)lsnn_rng_below(&e->rng, 2);
}

void lsnn_tmaze_observe(lsnn_tmaze *e, double *obs)
{
    if (e->pos == 0) {
        obs[0] = e->north ? 0 : 1;
        obs[1] = 1;
        obs[2] = e->north ? 1 : 0;
    } else if (e->pos == e->p.length) {
        obs[0] = 0;
        obs[1] = 1;
        obs[2] = 0;
    } else if (e->p.noisy) {
        obs[0] = lsnn_rng_uniform(&e->rng);
        obs[1] = 0;
        obs[2] = lsnn_rng_uniform(&e->rng);
    } else {
        obs[0] = 1;
        obs[1] = 0;
        obs[2] = 1;
    }
}

double lsnn_tmaze_step(lsnn_tmaze *e, int action)
{
    if (e->done)
        return 0;
    e->steps++;
    const int junction = e->pos == e->p.length;
    switch (action) {
    case LSNN_TMAZE_E:
        if (junction)
            return e->p.wall_reward;
        e->pos++;
        return 0;
    case LSNN_TMAZE_W:
        if (e->pos == 0)
            return e->p.wall_reward;
        e->pos--;
        return 0;
    case LSNN_TMAZE_N:
    case LSNN_TMAZE_S:
        if (!junction)
            return e->p.wall_reward;
        e->done = 1;
        e->correct = (action == LSNN_TMAZE_N) == (e->north != 0);
        return e->correct ? e->p.goal_reward : e->p.wrong_reward;
    default:
        return e->p.wall_reward; /* not an action: treated as standing still */
    }
}
