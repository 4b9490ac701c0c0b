/*
 * payout.h: what a partner earns for a conversion (API.md "Conversions",
 * "payout"): a fixed amount per conversion, or a percentage of the
 * conversion's amount in basis points, rounded to the nearest minor unit
 * with halves to even (banker's rounding). Integer arithmetic only: no
 * floating point ever touches money.
 */
#ifndef TL_CORE_PAYOUT_H
#define TL_CORE_PAYOUT_H

#include <stdint.h>

#include "core/err.h"
#include "core/model.h"

#define TL_PAYOUT_BP_MAX 10000 /* 100% */

/*
 * amount x rate_bp / 10000, rounded to the nearest integer, halves to
 * even. amount is 0..INT64_MAX and rate_bp 0..10000; the result never
 * overflows (it is at most amount). Returns -1 for arguments out of range.
 */
int64_t tl_payout_percent(int64_t amount, int rate_bp);

/*
 * The payout of a conversion of amount under a campaign's payout rule:
 * type TL_PAYOUT_FIXED gives fixed_amount, TL_PAYOUT_PERCENT
 * tl_payout_percent(amount, rate_bp). Writes *out and returns TL_OK, or
 * TL_ERR_INVALID when an argument is out of range (negative amount or
 * fixed amount, rate outside 0..10000, unknown type).
 */
enum tl_err tl_payout_compute(enum tl_payout_type type, int64_t fixed_amount, int rate_bp,
                              int64_t amount, int64_t *out);

#endif
