/*
 * tasks.c: the task endpoints (/api/v1/campaigns/{id}/tasks,
 * /api/v1/tasks/{id}[/partners]) and the partner's task manager
 * (/api/v1/me/tasks).
 *
 * A task hangs under a campaign; only the campaign's members can be
 * assigned to it. Tenancy comes from the store: a brand sees the tasks of
 * its programs, a partner only the tasks assigned to them, and anything
 * else reads as not found.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/handlers.h"
#include "api/input.h"
#include "api/output.h"
#include "core/time.h"

#define TIME_TEXT_MAX 64 /* longest due_at text we read, in bytes */

/* A store failure as a problem: absent or another tenant's is not_found. */
static enum tl_err store_problem(struct tl_problem *prob, enum tl_err err, const char *what)
{
    if (err == TL_ERR_NOTFOUND)
        return tl_problem_set(prob, err, "not_found", NULL, "%s not found", what);
    return tl_problem_set(prob, err, NULL, NULL, "%s: %s", what, tl_err_str(err));
}

/* Hands json (stolen, may be NULL on OOM) to resp. */
static enum tl_err reply(struct tl_resp *resp, struct tl_problem *prob, int status, json_t *json)
{
    if (tl_out_json(resp, status, json) != TL_OK)
        return tl_problem_set(prob, TL_ERR_NOMEM, NULL, NULL, "out of memory");
    return TL_OK;
}

/*
 * Called once partners have been assigned to a task of campaign c: in
 * program_default mode every assigned partner gets their short link to
 * the default landing page at once (API.md "Tasks").
 */
static enum tl_err after_assignment(struct tl_req *req, const struct tl_campaign *c,
                                    struct tl_problem *prob)
{
    (void)prob;
    return tl_api_links_ensure_defaults(req->app, c);
}

/*
 * The links shown with a task in /me/tasks: THE one place where the task
 * manager gets its links: the caller's own links on that task.
 * Returns a new array, NULL on OOM.
 */
static json_t *task_links(struct tl_req *req, const struct tl_task *t)
{
    struct tl_app *app = req->app;
    struct tl_actor admin = {0, TL_ACCOUNT_ADMIN};
    struct tl_program p;
    struct tl_page page = {0, TL_LIST_MAX};
    struct tl_link_filter f = {t->id, 0, req->actor.account_id};
    struct tl_link *items;
    size_t n, i;
    bool more = true;
    json_t *arr = json_array(), *o;

    if (arr == NULL)
        return NULL;
    /* The program is read for its default landing page only. */
    if (TL_STORE(app->store, program_get, &admin, t->program_id, req->arena, &p) != TL_OK)
        goto fail;
    while (more) {
        if (TL_STORE(app->store, link_list, &req->actor, &f, &page, req->arena, &items, &n,
                     &more) != TL_OK)
            goto fail;
        for (i = 0; i < n; i++) {
            o = tl_api_link_json(app, &req->actor, &items[i], p.default_landing_page);
            if (o == NULL || json_array_append_new(arr, o) != 0)
                goto fail;
        }
        if (n > 0)
            page.after = items[n - 1].id;
    }
    return arr;
fail:
    json_decref(arr);
    return NULL;
}

static const struct tl_in_field task_fields[] = {
    {"title", "title", TL_IN_STR},
    {"description", "description", TL_IN_STR},
    {"due_at", "due_at", TL_IN_STR},
    {"partner_ids", "partner_ids", TL_IN_IDS},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Lays a create (create = true: title required, partner_ids read) or
 * PATCH body over t. A JSON null clears description and due_at. Strings
 * in t point into body.
 */
static enum tl_err parse_task(struct tl_req *req, json_t *body, bool create, struct tl_task *t,
                              struct tl_problem *prob)
{
    const char *title, *description, *due;
    bool present;
    enum tl_err err;

    err = tl_in_types(body, task_fields, COUNT(task_fields), prob);
    if (err == TL_OK)
        err = tl_in_str(body, "title", "title", create, TL_NAME_MAX, &title, prob);
    if (err != TL_OK)
        return err;
    if (title != NULL && title[0] == '\0')
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "title",
                              "title must not be empty");
    if (title != NULL)
        t->title = title;
    err = tl_in_str(body, "description", "description", false, TL_TEXT_MAX, &description, prob);
    if (err != TL_OK)
        return err;
    if (json_object_get(body, "description") != NULL)
        t->description = description;
    err = tl_in_str(body, "due_at", "due_at", false, TIME_TEXT_MAX, &due, prob);
    if (err != TL_OK)
        return err;
    if (due != NULL && tl_time_parse(due, &t->due_at) != TL_OK)
        return tl_problem_set(prob, TL_ERR_INVALID, "invalid_value", "due_at",
                              "due_at must be an RFC 3339 time (2026-11-28T21:00:00Z)");
    if (due == NULL && json_object_get(body, "due_at") != NULL)
        t->due_at = 0;
    if (!create)
        return TL_OK;
    return tl_in_ids(req->arena, body, "partner_ids", "partner_ids", false, &t->partner_ids,
                     &t->n_partner_ids, &present, prob);
}

/* Checks that partner_id is a member of the campaign (field names the input at fault). */
static enum tl_err check_member(struct tl_req *req, const struct tl_campaign *c, int64_t partner_id,
                                const char *field, struct tl_problem *prob)
{
    struct tl_app *app = req->app;
    bool yes;
    enum tl_err err;

    err = TL_STORE(app->store, campaign_partner_has, c->id, partner_id, &yes);
    if (err != TL_OK)
        return store_problem(prob, err, "campaign membership");
    if (!yes)
        return tl_problem_set(prob, TL_ERR_INVALID, "partner_not_in_campaign", field,
                              "partner %lld is not in campaign %lld", (long long)partner_id,
                              (long long)c->id);
    return TL_OK;
}

/* Reads the task id and answers it with status. */
static enum tl_err reply_task(struct tl_req *req, struct tl_resp *resp, struct tl_problem *prob,
                              int status, int64_t id)
{
    struct tl_app *app = req->app;
    struct tl_task t;
    enum tl_err err;

    err = TL_STORE(app->store, task_get, &req->actor, id, req->arena, &t);
    if (err != TL_OK)
        return store_problem(prob, err, "task");
    return reply(resp, prob, status, tl_out_task(&t));
}

TL_HANDLER(tl_api_tasks_create)
{
    struct tl_app *app = req->app;
    struct tl_campaign c;
    struct tl_task t;
    json_t *body = NULL;
    int64_t id;
    size_t i;
    enum tl_err err;

    err = TL_STORE(app->store, campaign_get, &req->actor, req->ids[0], req->arena, &c);
    if (err != TL_OK)
        return store_problem(prob, err, "campaign");
    memset(&t, 0, sizeof(t));
    t.campaign_id = c.id;
    t.program_id = c.program_id;
    err = tl_in_body(req, &body, prob);
    if (err == TL_OK)
        err = parse_task(req, body, true, &t, prob);
    for (i = 0; err == TL_OK && i < t.n_partner_ids; i++)
        err = check_member(req, &c, t.partner_ids[i], "partner_ids", prob);
    if (err != TL_OK)
        goto out;
    err = TL_STORE(app->store, task_create, &req->actor, &t, &id);
    if (err != TL_OK) {
        err = store_problem(prob, err, "campaign");
        goto out;
    }
    if (t.n_partner_ids > 0 && (err = after_assignment(req, &c, prob)) != TL_OK)
        goto out;
    err = reply_task(req, resp, prob, 201, id);
out:
    json_decref(body);
    return err;
}

/* A page of tasks as {"data":[...],"next_cursor":...}; extra decorates each (may be NULL). */
static enum tl_err
reply_tasks(struct tl_req *req, struct tl_resp *resp, struct tl_problem *prob, int64_t campaign_id,
            enum tl_err (*extra)(struct tl_req *, json_t *cache, const struct tl_task *, json_t *o,
                                 struct tl_problem *))
{
    struct tl_app *app = req->app;
    struct tl_task *items;
    struct tl_page page;
    json_t *data = NULL, *cache = NULL, *o;
    size_t n, i;
    bool more;
    enum tl_err err;

    err = tl_in_page(req, &page, prob);
    if (err != TL_OK)
        return err;
    err = TL_STORE(app->store, task_list, &req->actor, campaign_id, &page, req->arena, &items, &n,
                   &more);
    if (err != TL_OK)
        return store_problem(prob, err, "campaign");
    data = json_array();
    cache = json_object();
    if (data == NULL || cache == NULL)
        goto oom;
    for (i = 0; i < n; i++) {
        o = tl_out_task(&items[i]);
        if (json_array_append_new(data, o) != 0)
            goto oom;
        if (extra != NULL && (err = extra(req, cache, &items[i], o, prob)) != TL_OK)
            goto out;
    }
    err = reply(resp, prob, 200, tl_out_list(data, more, n > 0 ? items[n - 1].id : 0));
    data = NULL;
    goto out;
oom:
    err = tl_problem_set(prob, TL_ERR_NOMEM, NULL, NULL, "out of memory");
out:
    json_decref(data);
    json_decref(cache);
    return err;
}

TL_HANDLER(tl_api_tasks_list)
{
    struct tl_app *app = req->app;
    struct tl_campaign c;
    enum tl_err err;

    err = TL_STORE(app->store, campaign_get, &req->actor, req->ids[0], req->arena, &c);
    if (err != TL_OK)
        return store_problem(prob, err, "campaign");
    return reply_tasks(req, resp, prob, c.id, NULL);
}

TL_HANDLER(tl_api_tasks_get)
{
    return reply_task(req, resp, prob, 200, req->ids[0]);
}

TL_HANDLER(tl_api_tasks_patch)
{
    struct tl_app *app = req->app;
    struct tl_task t;
    json_t *body = NULL;
    enum tl_err err;

    err = TL_STORE(app->store, task_get, &req->actor, req->ids[0], req->arena, &t);
    if (err != TL_OK)
        return store_problem(prob, err, "task");
    err = tl_in_body(req, &body, prob);
    if (err == TL_OK)
        err = parse_task(req, body, false, &t, prob);
    if (err != TL_OK)
        goto out;
    err = TL_STORE(app->store, task_update, &req->actor, &t);
    if (err != TL_OK) {
        err = store_problem(prob, err, "task");
        goto out;
    }
    err = reply_task(req, resp, prob, 200, t.id);
out:
    json_decref(body);
    return err;
}

/* Reads one assignment of the task (the list is ordered by partner id). */
static enum tl_err member_get(struct tl_req *req, int64_t task_id, int64_t partner_id,
                              struct tl_membership *out, struct tl_problem *prob)
{
    struct tl_app *app = req->app;
    struct tl_page page = {partner_id - 1, 1};
    struct tl_membership *items;
    size_t n;
    bool more;
    enum tl_err err;

    err = TL_STORE(app->store, task_partner_list, &req->actor, task_id, &page, req->arena, &items,
                   &n, &more);
    if (err != TL_OK)
        return store_problem(prob, err, "task assignment");
    if (n != 1 || items[0].partner_id != partner_id)
        return tl_problem_set(prob, TL_ERR_INTERNAL, NULL, NULL,
                              "assignment of partner %lld not found after adding it",
                              (long long)partner_id);
    *out = items[0];
    return TL_OK;
}

TL_HANDLER(tl_api_task_partners_add)
{
    struct tl_app *app = req->app;
    struct tl_task t;
    struct tl_campaign c;
    struct tl_membership m;
    int64_t partner_id;
    bool created;
    enum tl_err err;

    err = TL_STORE(app->store, task_get, &req->actor, req->ids[0], req->arena, &t);
    if (err == TL_OK)
        err = TL_STORE(app->store, campaign_get, &req->actor, t.campaign_id, req->arena, &c);
    if (err != TL_OK)
        return store_problem(prob, err, "task");
    err = tl_in_partner_id(req, &partner_id, prob);
    if (err == TL_OK)
        err = check_member(req, &c, partner_id, "partner_id", prob);
    if (err != TL_OK)
        return err;
    err = TL_STORE(app->store, task_partner_add, &req->actor, t.id, partner_id, &created);
    if (err != TL_OK)
        return store_problem(prob, err, "task");
    if (created && (err = after_assignment(req, &c, prob)) != TL_OK)
        return err;
    err = member_get(req, t.id, partner_id, &m, prob);
    if (err != TL_OK)
        return err;
    return reply(resp, prob, created ? 201 : 200, tl_out_membership(&m, "task_id", t.id));
}

TL_HANDLER(tl_api_task_partners_list)
{
    struct tl_app *app = req->app;
    struct tl_task t;
    struct tl_membership *items;
    struct tl_page page;
    json_t *data;
    size_t n, i;
    bool more;
    enum tl_err err;

    err = TL_STORE(app->store, task_get, &req->actor, req->ids[0], req->arena, &t);
    if (err != TL_OK)
        return store_problem(prob, err, "task");
    err = tl_in_page(req, &page, prob);
    if (err != TL_OK)
        return err;
    err = TL_STORE(app->store, task_partner_list, &req->actor, t.id, &page, req->arena, &items, &n,
                   &more);
    if (err != TL_OK)
        return store_problem(prob, err, "task");
    data = json_array();
    for (i = 0; data != NULL && i < n; i++)
        if (json_array_append_new(data, tl_out_membership(&items[i], "task_id", t.id)) != 0) {
            json_decref(data);
            data = NULL;
        }
    if (data == NULL)
        return reply(resp, prob, 200, NULL);
    return reply(resp, prob, 200, tl_out_list(data, more, n > 0 ? items[n - 1].partner_id : 0));
}

/* A copy of src's keys (src is released); NULL on OOM or a missing key. */
static json_t *pick(json_t *src, const char *const *keys)
{
    json_t *out = json_object();

    for (; out != NULL && *keys != NULL; keys++)
        if (json_object_set(out, *keys, json_object_get(src, *keys)) != 0) {
            json_decref(out);
            out = NULL;
        }
    json_decref(src);
    return out;
}

/*
 * The campaign's pages a link may use in brand_selected mode, as
 * [{"id","name","url"}] (empty in the other modes): a partner cannot list
 * the program's landing pages, and needs them to make a link. NULL on OOM.
 */
static json_t *campaign_pages(struct tl_req *req, const struct tl_campaign *c,
                              struct tl_problem *prob, enum tl_err *err)
{
    struct tl_app *app = req->app;
    struct tl_landing_page lp;
    json_t *out = json_array();
    size_t i;

    *err = TL_OK;
    if (out == NULL || c->lp_mode != TL_LP_BRAND_SELECTED)
        return out;
    for (i = 0; i < c->n_landing_page_ids; i++) {
        *err = TL_STORE(app->store, landing_page_get, &req->actor, c->landing_page_ids[i],
                        req->arena, &lp);
        if (*err == TL_ERR_NOTFOUND) {
            *err = TL_OK;
            continue;
        }
        if (*err != TL_OK) {
            *err = store_problem(prob, *err, "landing page");
            json_decref(out);
            return NULL;
        }
        if (json_array_append_new(out, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)lp.id, "name",
                                                 lp.name, "url", lp.url)) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/*
 * The {"id","name","status","tracking","payout","landing_pages"} of a
 * campaign, or the {"id","name","default_landing_page","permitted_domains"}
 * of a program (what a partner needs to make a link), through cache (many
 * tasks share them). Borrowed from cache; json null when the caller cannot
 * read it.
 */
static enum tl_err summary(struct tl_req *req, json_t *cache, bool campaign, int64_t id,
                           json_t **out, struct tl_problem *prob)
{
    static const char *const campaign_keys[] = {"id", "name", "status", "tracking", "payout", NULL};
    static const char *const program_keys[] = {"id", "name", "default_landing_page",
                                               "permitted_domains", NULL};
    json_t *pages;
    struct tl_app *app = req->app;
    struct tl_campaign c;
    struct tl_program p;
    char key[32];
    json_t *v;
    enum tl_err err;

    snprintf(key, sizeof(key), "%c%lld", campaign ? 'c' : 'p', (long long)id);
    *out = json_object_get(cache, key);
    if (*out != NULL)
        return TL_OK;
    if (campaign)
        err = TL_STORE(app->store, campaign_get, &req->actor, id, req->arena, &c);
    else
        err = TL_STORE(app->store, program_get, &req->actor, id, req->arena, &p);
    if (err == TL_ERR_NOTFOUND)
        v = json_null();
    else if (err != TL_OK)
        return store_problem(prob, err, campaign ? "campaign" : "program");
    else if (campaign) {
        v = pick(tl_out_campaign(&c), campaign_keys);
        pages = campaign_pages(req, &c, prob, &err);
        if (err != TL_OK) {
            json_decref(v);
            return err;
        }
        if (v == NULL || pages == NULL || json_object_set_new(v, "landing_pages", pages) != 0) {
            json_decref(v); /* json_object_set_new has released pages, or it is NULL */
            if (v == NULL)
                json_decref(pages);
            v = NULL;
        }
    } else
        v = pick(tl_out_program(&p, false), program_keys);
    if (v == NULL || json_object_set_new(cache, key, v) != 0)
        return tl_problem_set(prob, TL_ERR_NOMEM, NULL, NULL, "out of memory");
    *out = v;
    return TL_OK;
}

/* Adds "campaign", "program" and "links" to a task object o of /me/tasks. */
static enum tl_err me_task_extra(struct tl_req *req, json_t *cache, const struct tl_task *t,
                                 json_t *o, struct tl_problem *prob)
{
    json_t *camp, *prog;
    enum tl_err err;

    err = summary(req, cache, true, t->campaign_id, &camp, prob);
    if (err == TL_OK)
        err = summary(req, cache, false, t->program_id, &prog, prob);
    if (err != TL_OK)
        return err;
    if (json_object_set(o, "campaign", camp) != 0 || json_object_set(o, "program", prog) != 0 ||
        json_object_set_new(o, "links", task_links(req, t)) != 0)
        return tl_problem_set(prob, TL_ERR_NOMEM, NULL, NULL, "out of memory");
    return TL_OK;
}

TL_HANDLER(tl_api_me_tasks)
{
    return reply_tasks(req, resp, prob, 0, me_task_extra);
}
