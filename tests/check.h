/* Assertions on numbers that print both values when they fail (cmocka's assert_true prints only
 * the expression, and its assert_float_equal rounds to float). Include after <cmocka.h>. The
 * operands are converted to double, so integers up to 2^53 print exactly. */
#ifndef LSNN_TEST_CHECK_H
#define LSNN_TEST_CHECK_H

#include <math.h>

#define check_cmp_(a, op, b)                                                                      \
    do {                                                                                          \
        const double check_a_ = (double)(a), check_b_ = (double)(b);                              \
        if (!(check_a_ op check_b_)) {                                                            \
            print_error("%s %s %s failed: %.17g %s %.17g\n", #a, #op, #b, check_a_, #op,          \
                        check_b_);                                                                \
            _fail(__FILE__, __LINE__);                                                            \
        }                                                                                         \
    } while (0)

#define check_lt(a, b) check_cmp_(a, <, b)
#define check_le(a, b) check_cmp_(a, <=, b)
#define check_gt(a, b) check_cmp_(a, >, b)
#define check_ge(a, b) check_cmp_(a, >=, b)
#define check_eq(a, b) check_cmp_(a, ==, b)
#define check_ne(a, b) check_cmp_(a, !=, b)

/* |a - b| <= tol (fails on NaN). */
#define check_near(a, b, tol)                                                                     \
    do {                                                                                          \
        const double check_a_ = (double)(a), check_b_ = (double)(b), check_t_ = (double)(tol);    \
        if (!(fabs(check_a_ - check_b_) <= check_t_)) {                                           \
            print_error("|%s - %s| <= %s failed: %.17g vs %.17g, difference %.3e > %.3e\n", #a, \
                        #b, #tol, check_a_, check_b_, fabs(check_a_ - check_b_), check_t_);       \
            _fail(__FILE__, __LINE__);                                                            \
        }                                                                                         \
    } while (0)

#endif
