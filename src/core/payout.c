/*
 * payout.c: payout arithmetic (see payout.h).
 *
 * amount x rate can pass INT64_MAX, so amount is split as
 * q x 10000 + r: then amount x rate / 10000 = q x rate + r x rate / 10000,
 * where q x rate <= amount and r x rate < 10^8. No wider type is needed.
 */
#include "core/payout.h"

#define BP_DIV 10000

int64_t tl_payout_percent(int64_t amount, int rate_bp)
{
    int64_t q, r, whole, frac;

    if (amount < 0 || rate_bp < 0 || rate_bp > TL_PAYOUT_BP_MAX)
        return -1;
    q = amount / BP_DIV;
    r = amount % BP_DIV;
    whole = q * rate_bp + (r * rate_bp) / BP_DIV;
    frac = (r * rate_bp) % BP_DIV; /* the remainder, in 1/10000ths of a unit */
    if (frac > BP_DIV / 2 || (frac == BP_DIV / 2 && (whole & 1) != 0))
        whole++;
    return whole;
}

enum tl_err tl_payout_compute(enum tl_payout_type type, int64_t fixed_amount, int rate_bp,
                              int64_t amount, int64_t *out)
{
    int64_t p;

    if (amount < 0)
        return TL_ERR_INVALID;
    switch (type) {
    case TL_PAYOUT_FIXED:
        if (fixed_amount < 0)
            return TL_ERR_INVALID;
        *out = fixed_amount;
        return TL_OK;
    case TL_PAYOUT_PERCENT:
        p = tl_payout_percent(amount, rate_bp);
        if (p < 0)
            return TL_ERR_INVALID;
        *out = p;
        return TL_OK;
    }
    return TL_ERR_INVALID;
}
