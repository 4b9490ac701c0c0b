/*
 * conversion.c: conversion rules (see conversion.h).
 */
#include "core/conversion.h"

#include <string.h>

static const char *const status_names[] = {"pending", "approved", "reversed"};

const char *tl_conversion_status_str(enum tl_conversion_status s)
{
    if ((unsigned)s < sizeof(status_names) / sizeof(status_names[0]))
        return status_names[s];
    return "?";
}

int tl_conversion_status_parse(const char *s)
{
    size_t i;

    if (s == NULL)
        return -1;
    for (i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
        if (strcmp(s, status_names[i]) == 0)
            return (int)i;
    return -1;
}

bool tl_conversion_can_move(enum tl_conversion_status from, enum tl_conversion_status to)
{
    return (from == TL_CONV_PENDING && (to == TL_CONV_APPROVED || to == TL_CONV_REVERSED)) ||
           (from == TL_CONV_APPROVED && to == TL_CONV_REVERSED);
}

bool tl_conversion_event_type_valid(const char *s)
{
    size_t n;

    if (s == NULL)
        return false;
    for (n = 0; s[n] != '\0'; n++) {
        char ch = s[n];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
              ch == '-'))
            return false;
        if (n >= TL_EVENT_TYPE_MAX)
            return false;
    }
    return n > 0;
}

bool tl_conversion_in_window(int64_t click_ms, int window_days, int64_t occurred_ms)
{
    if (window_days < 0)
        return false;
    if (occurred_ms < click_ms - click_ms % 1000 - TL_CONV_BEFORE_CLICK_MS)
        return false;
    /* API times have whole seconds: the window ends with the last
     * millisecond of the click's second, so that "click time + window" as
     * a client reads it is always inside. */
    return occurred_ms <= click_ms - click_ms % 1000 + 999 + (int64_t)window_days * TL_DAY_MS;
}
