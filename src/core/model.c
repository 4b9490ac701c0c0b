/*
 * model.c: the API names of the domain enums.
 */
#include "core/model.h"

#include <string.h>

static const char *const campaign_status[] = {"draft", "active", "paused", "ended"};
static const char *const lp_mode[] = {"partner_choice", "brand_selected", "program_default"};
static const char *const payout_type[] = {"fixed", "percent"};

static int lookup(const char *const *names, int n, const char *s)
{
    int i;

    if (s == NULL)
        return -1;
    for (i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

const char *tl_campaign_status_str(enum tl_campaign_status s)
{
    return (unsigned)s < 4 ? campaign_status[s] : "unknown";
}

int tl_campaign_status_parse(const char *s)
{
    return lookup(campaign_status, 4, s);
}

const char *tl_lp_mode_str(enum tl_lp_mode m)
{
    return (unsigned)m < 3 ? lp_mode[m] : "unknown";
}

int tl_lp_mode_parse(const char *s)
{
    return lookup(lp_mode, 3, s);
}

const char *tl_payout_type_str(enum tl_payout_type t)
{
    return (unsigned)t < 2 ? payout_type[t] : "unknown";
}

int tl_payout_type_parse(const char *s)
{
    return lookup(payout_type, 2, s);
}

const char *tl_account_kind_str(enum tl_account_kind k)
{
    switch (k) {
    case TL_ACCOUNT_ADMIN: return "admin";
    case TL_ACCOUNT_BRAND: return "brand";
    case TL_ACCOUNT_PARTNER: return "partner";
    }
    return "unknown";
}

static const char *const link_kind[] = {"short", "regular"};

const char *tl_link_kind_str(enum tl_link_kind k)
{
    return (unsigned)k < 2 ? link_kind[k] : "unknown";
}

int tl_link_kind_parse(const char *s)
{
    return lookup(link_kind, 2, s);
}
