/*
 * currency.h: ISO 4217 currency codes and their minor units.
 *
 * Amounts in tracklink are integers in the currency's minor unit (cents
 * for USD, yen for JPY, fils for KWD), so only codes that have a minor
 * unit are currencies here: the active ISO 4217 list without the codes
 * whose minor unit is "N.A." (gold, silver, palladium, platinum, the bond
 * units XBA-XBD, XDR, XSU, XUA, and the XTS/XXX codes).
 */
#ifndef TL_CORE_CURRENCY_H
#define TL_CORE_CURRENCY_H

#include <stdbool.h>

/*
 * True when code is exactly three upper-case letters naming an active ISO
 * 4217 currency ("USD"); false for NULL, "usd", "US", "USDX", "XXX".
 */
bool tl_currency_valid(const char *code);

/*
 * Number of minor-unit digits of a valid code (JPY 0, USD 2, KWD 3,
 * CLF 4), or -1 when tl_currency_valid(code) is false.
 */
int tl_currency_exponent(const char *code);

#endif
