/*
 * accounts.c: `tracklink admin create-brand | create-partner` (cli.h): the
 * operator's way to the first account, through the same code as the API's
 * POST /api/v1/brands and /partners.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "cli/cli.h"
#include "http/problem.h"

/* Prints a problem as the API would render it, on stderr. */
static void print_problem(const struct tl_problem *p)
{
    size_t len;
    int status;
    char *body = tl_http_problem_render(p, &status, &len);

    if (body == NULL) {
        fprintf(stderr, "tracklink: %s\n", p->detail);
        return;
    }
    fprintf(stderr, "%s\n", body);
    free(body);
}

/* Sets key to a copy of v when v is given. Fails on OOM or bad UTF-8. */
static bool set_str(json_t *o, const char *key, const char *v)
{
    return v == NULL || json_object_set_new(o, key, json_string(v)) == 0;
}

int tl_cli_account_create(struct tl_store *s, const struct tl_cli_account *in)
{
    struct tl_problem prob;
    struct tl_app app;
    json_t *body, *user, *out = NULL;
    char *text;
    int rc = 1;

    /* The same body as POST /api/v1/brands or /partners, so the same rules apply. */
    body = json_object();
    if (body == NULL || !set_str(body, "name", in->name) || !set_str(body, "email", in->email))
        goto oom;
    if (in->user_email != NULL || in->user_password != NULL) {
        user = json_object();
        if (user == NULL || json_object_set_new(body, "user", user) != 0)
            goto oom;
        if (!set_str(user, "email", in->user_email) ||
            !set_str(user, "password", in->user_password))
            goto oom;
    }
    memset(&app, 0, sizeof(app));
    app.store = s;
    tl_problem_init(&prob);
    if (tl_api_account_create(&app, in->kind, body, &out, &prob) != TL_OK) {
        print_problem(&prob);
        goto out;
    }
    text = json_dumps(out, JSON_COMPACT);
    if (text == NULL)
        goto oom;
    printf("%s\n", text);
    fflush(stdout);
    free(text);
    rc = 0;
out:
    json_decref(out);
    json_decref(body);
    return rc;
oom:
    /* json_string() also fails on invalid UTF-8, which is what a user can cause. */
    fprintf(stderr, "tracklink: out of memory, or a flag value is not UTF-8\n");
    rc = 1;
    goto out;
}
