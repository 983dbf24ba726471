/* The test switch of src/core/simd.h. */
#include "core/simd.h"

int lsnn__simd_baseline_forced = 0;

void lsnn__simd_force_baseline(int on)
{
    lsnn__simd_baseline_forced = on != 0;
}
