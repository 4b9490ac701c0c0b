/*
 * model.h: the domain objects of tracklink, as plain structs.
 *
 * These are shared by store/ (which fills them) and api/ (which renders
 * them). Strings and arrays inside them are borrowed: when a store read
 * fills one, they live in the arena given to that read, and die with it.
 * Times are milliseconds since the Unix epoch, UTC; 0 means "none".
 */
#ifndef TL_CORE_MODEL_H
#define TL_CORE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TL_NAME_MAX 200          /* names and titles, in bytes */
#define TL_TEXT_MAX 10000        /* task descriptions, in bytes */
#define TL_URL_MAX 2048          /* landing pages, in bytes */
#define TL_SUBID_MAX 255         /* sub ids and shared id, in bytes */
#define TL_DOMAINS_MAX 100       /* permitted domains per program */
#define TL_IDS_MAX 1000          /* ids in one request array */
#define TL_LIST_DEFAULT 50
#define TL_LIST_MAX 500

enum tl_account_kind {
    TL_ACCOUNT_ADMIN = 1,
    TL_ACCOUNT_BRAND = 2,
    TL_ACCOUNT_PARTNER = 4,
};

/* The authenticated caller. The admin has account_id 0. */
struct tl_actor {
    int64_t account_id;
    enum tl_account_kind kind;
};

struct tl_account {
    int64_t id;
    enum tl_account_kind kind;
    const char *name;
    const char *email; /* partners; NULL for brands */
    int64_t created_at;
};

/* What creating an account needs; the key is stored only as its hash. */
struct tl_account_new {
    enum tl_account_kind kind;
    const char *name;
    const char *email;          /* may be NULL */
    unsigned char key_hash[32]; /* BLAKE2b-256 of the API key */
    const char *key_prefix;     /* first characters of the key, for display */
    const char *key_name;       /* the key's name; NULL: "default" */
    const char *user_email;     /* optional UI login; NULL for none */
    const char *user_pw_hash;   /* argon2id string when user_email is set */
};

/* An API key as its account sees it; the key itself is kept only as a hash. */
struct tl_api_key {
    int64_t id;
    int64_t account_id;
    const char *name;
    const char *prefix; /* the key's first characters, for recognition */
    int64_t created_at;
    int64_t last_used_at; /* 0: never used; moved at most once a minute */
};

/* A UI login, with what its account is. */
struct tl_user {
    int64_t id;
    int64_t account_id;
    enum tl_account_kind kind;
    const char *account_name;
    const char *email;
    const char *pw_hash; /* argon2id string */
};

/* A UI session. The cookie's token is kept only as its BLAKE2b-256 hash. */
struct tl_session {
    int64_t id;
    unsigned char token_hash[32];
    int64_t user_id;
    const char *user_email;
    struct tl_actor actor; /* the user's account */
    const char *account_name;
    const char *csrf_token; /* sent back in X-CSRF-Token on every write */
    int64_t created_at;
    int64_t expires_at; /* idle expiry; slides forward with use */
};

struct tl_program {
    int64_t id;
    int64_t brand_id;
    const char *name;
    const char *default_landing_page; /* normalised */
    const char **permitted_domains;   /* normalised: "acme.test", "*.acme.test" */
    size_t n_permitted_domains;
    const char *click_id_param;
    int referral_window_days;
    const char *currency; /* ISO 4217, 3 upper-case letters */
    const char *postback_key;
    int64_t created_at;
    int64_t updated_at;
};

struct tl_landing_page {
    int64_t id;
    int64_t program_id;
    const char *name;
    const char *url; /* normalised */
    int64_t created_at;
};

enum tl_campaign_status {
    TL_CAMPAIGN_DRAFT = 0,
    TL_CAMPAIGN_ACTIVE,
    TL_CAMPAIGN_PAUSED,
    TL_CAMPAIGN_ENDED,
};

enum tl_lp_mode {
    TL_LP_PARTNER_CHOICE = 0,
    TL_LP_BRAND_SELECTED,
    TL_LP_PROGRAM_DEFAULT,
};

enum tl_payout_type {
    TL_PAYOUT_FIXED = 0,
    TL_PAYOUT_PERCENT,
};

struct tl_campaign {
    int64_t id;
    int64_t program_id;
    int64_t brand_id;
    const char *name;
    enum tl_campaign_status status;
    bool tracking_enabled;
    enum tl_lp_mode lp_mode;
    int64_t *landing_page_ids; /* only for TL_LP_BRAND_SELECTED */
    size_t n_landing_page_ids;
    enum tl_payout_type payout_type;
    int64_t payout_amount; /* fixed: minor units per conversion */
    int payout_rate_bp;    /* percent: basis points, 0..10000 */
    int64_t created_at;
    int64_t updated_at;
};

struct tl_task {
    int64_t id;
    int64_t campaign_id;
    int64_t program_id;
    const char *title;
    const char *description; /* may be NULL */
    int64_t due_at;          /* 0: none */
    int64_t *partner_ids;    /* ascending */
    size_t n_partner_ids;
    int64_t created_at;
    int64_t updated_at;
};

/* A partner's membership of a program, a campaign or a task. */
struct tl_membership {
    int64_t partner_id;
    const char *name;
    const char *email;
    int64_t created_at; /* when they joined */
};

/* Names of enum values as they appear in the API, and back. */
const char *tl_campaign_status_str(enum tl_campaign_status s);
int tl_campaign_status_parse(const char *s); /* -1 if unknown */
const char *tl_lp_mode_str(enum tl_lp_mode m);
int tl_lp_mode_parse(const char *s);         /* -1 if unknown */
const char *tl_payout_type_str(enum tl_payout_type t);
int tl_payout_type_parse(const char *s);     /* -1 if unknown */
const char *tl_account_kind_str(enum tl_account_kind k);

/* ---- tracking links ---- */

#define TL_LINK_CODE_LEN 7

enum tl_link_kind {
    TL_LINK_SHORT = 0,
    TL_LINK_REGULAR,
};

struct tl_link {
    int64_t id;
    const char *code; /* TL_LINK_CODE_LEN base62 characters */
    enum tl_link_kind kind;
    /* Normalised landing page, or NULL when the link follows the program's
     * default landing page (program_default mode): then the default in force
     * at each click is used. */
    const char *landing_url;
    int64_t partner_id;
    int64_t task_id;
    int64_t campaign_id;
    int64_t program_id;
    const char *sub_id1; /* NULL when not set; each at most TL_SUBID_MAX */
    const char *sub_id2;
    const char *sub_id3;
    const char *shared_id;
    bool created_by_partner;
    bool active;
    int64_t created_at;
};

const char *tl_link_kind_str(enum tl_link_kind k);
int tl_link_kind_parse(const char *s); /* -1 if unknown */

/* ---- redirects and clicks ---- */

/*
 * What a short code or a regular path resolves to, with everything the
 * redirect needs to decide without asking the store again.
 */
struct tl_target {
    int64_t link_id; /* 0: a regular path that matches no generated link */
    int64_t partner_id;
    int64_t task_id;
    int64_t campaign_id;
    int64_t program_id;
    enum tl_link_kind kind;
    const char *landing;         /* the link's landing page; NULL: the program default */
    const char *default_landing; /* the program's default landing page */
    const char *click_param;
    const char *currency;
    const char **domains; /* the program's permitted domains */
    size_t n_domains;
    enum tl_lp_mode mode;
    const char **pages; /* brand_selected: the campaign's landing page URLs */
    size_t n_pages;
    /* Regular paths: the partner's generated links on the task, so that a
     * click can be credited to the one with the same landing page. */
    const char **link_landings; /* NULL entries follow the default */
    int64_t *link_ids;
    bool *links_active; /* NULL: all active */
    size_t n_links;
    /* Short codes: the link's own sub ids and shared id (NULL when not
     * set), recorded with a click when the visitor sends none. */
    const char *link_subs[4];
    bool link_active;
    bool campaign_active;
    bool tracking_enabled;
    /* Set by track/ when it caches the target: the link's landing page
     * still passes the landing-page gate of the program's current domains,
     * and both landing pages split for building the Location (what comes
     * before the query, the query, the fragment; NULL when absent). */
    bool landing_ok;
    const char *landing_parts[3];
    const char *default_parts[3];
};

#define TL_CLICK_UA_MAX 256
#define TL_CLICK_REFERRER_MAX 256

/* One recorded click, as the click writer stores it. Fixed size, so that
 * the click queue is preallocated. */
struct tl_click {
    char click_id[32];
    int64_t ts_ms;
    int64_t link_id; /* 0: none */
    int64_t partner_id;
    int64_t task_id;
    int64_t campaign_id;
    int64_t program_id;
    char currency[4];
    unsigned char visitor[16];
    bool bot;
    bool uniq;
    bool landing_fallback;
    /* The strings last: copies stop at their ends (see track/clicks.c). */
    char user_agent[TL_CLICK_UA_MAX + 1];
    char referrer[TL_CLICK_REFERRER_MAX + 1];
    char sub[4][TL_SUBID_MAX + 1]; /* subId1..3, sharedid; "" when absent */
};

/* ---- conversions and partner postbacks (issue 5) ---- */

#define TL_ORDER_ID_MAX 255   /* order ids, in bytes */
#define TL_EVENT_TYPE_MAX 64  /* event types, in bytes: [a-z0-9_.-] */
#define TL_CLICK_ID_MAX 64    /* longer click ids cannot exist */
#define TL_REASON_MAX 1000    /* reasons of status changes, in bytes */

/* A stored click as attribution needs it (store conversion_record). */
struct tl_click_info {
    const char *click_id;
    int64_t ts_ms;
    int64_t link_id; /* 0: none */
    int64_t partner_id;
    int64_t task_id;
    int64_t campaign_id;
    int64_t program_id;
    const char *sub[4]; /* subId1..3, sharedid; NULL when absent */
    bool bot;
};

enum tl_conversion_status {
    TL_CONV_PENDING = 0,
    TL_CONV_APPROVED,
    TL_CONV_REVERSED,
};

struct tl_conversion {
    int64_t id;
    enum tl_conversion_status status;
    const char *click_id;
    const char *order_id;
    const char *event_type;
    int64_t amount; /* minor units, 0..2^53-1 */
    const char *currency;
    int64_t payout;
    int64_t partner_id;
    int64_t campaign_id;
    int64_t task_id;
    int64_t link_id; /* 0: none */
    int64_t program_id;
    int64_t occurred_at;
    int64_t created_at;
    int64_t updated_at;
};

/* One status change of a conversion; the creation has from_status -1. */
struct tl_conversion_event {
    int64_t id;
    int64_t conversion_id;
    int from_status; /* enum tl_conversion_status, or -1 for none */
    enum tl_conversion_status to_status;
    const char *reason;       /* may be NULL */
    int64_t actor_account_id; /* who made the change */
    int64_t at;
};

/* Filters of a conversion list; 0 / -1 for any. */
struct tl_conversion_filter {
    int64_t campaign_id;
    int64_t partner_id;
    int status;        /* enum tl_conversion_status, or -1 */
    bool newest_first; /* descending id: the page's cursor walks back */
};

/* Postback events, as bits of a partner's subscription. */
enum tl_postback_event {
    TL_PB_CREATED = 1,
    TL_PB_APPROVED = 2,
    TL_PB_REVERSED = 4,
};
#define TL_PB_ALL (TL_PB_CREATED | TL_PB_APPROVED | TL_PB_REVERSED)

/* A partner's postback configuration. */
struct tl_postback_config {
    int64_t partner_id;
    const char *url; /* the template, with {macros} */
    unsigned events; /* mask of enum tl_postback_event */
    int64_t updated_at;
};

enum tl_delivery_status {
    TL_DELIVERY_PENDING = 0,
    TL_DELIVERY_DELIVERED,
    TL_DELIVERY_FAILED,
};

struct tl_postback_attempt {
    int64_t at;
    int http_status; /* 0: no answer */
    const char *error; /* NULL when none */
};

/* One queued notification (a postback_outbox row) and its attempts. */
struct tl_postback_delivery {
    int64_t id;
    int64_t partner_id;
    int64_t conversion_id;
    const char *event; /* "conversion.created" ... */
    const char *url;   /* expanded */
    enum tl_delivery_status status;
    int attempts;
    int last_status; /* 0: none */
    int64_t next_attempt_ms;
    int64_t created_at;
    int64_t updated_at;
    struct tl_postback_attempt *log; /* oldest first; only in lists that ask for it */
    size_t n_log;
};

/* ---- refused conversion attempts (GET /api/v1/conversions/rejected) ---- */

/* Caps on what a rejection keeps of each value sent, in bytes. */
#define TL_REJECTION_CURRENCY_MAX 16
#define TL_REJECTION_DETAIL_MAX   255
#define TL_REJECTION_FACTS_MAX    1024 /* the facts' JSON text; longer ones are kept as {} */

/* One refused attempt of POST /conversions or GET /postback. */
struct tl_rejection {
    int64_t id;
    int64_t brand_id;   /* whose it is */
    int64_t program_id; /* 0: unknown (the click was not found, or not read) */
    const char *code;   /* the problem's code, status, detail and field */
    int status;
    const char *detail;
    const char *field;    /* NULL: none */
    bool postback;        /* GET /postback, else POST /conversions */
    const char *click_id; /* as sent; NULL when absent or not a string */
    const char *order_id;
    const char *event_type;
    const char *currency;
    int64_t amount; /* as sent, when has_amount */
    bool has_amount;
    const char *facts; /* a JSON object, as text: the figures that decided it */
    int64_t received_at;
};

/* Filters of the rejections list; 0 / NULL for any. */
struct tl_rejection_filter {
    int64_t program_id;
    const char *code;
    bool newest_first; /* descending id: the page's cursor walks back */
};

#endif
