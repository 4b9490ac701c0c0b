/*
 * test_bots.c: real User-Agent strings, bots and browsers, against the
 * embedded src/track/bots.txt.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "track/bots.h"

struct ua_case {
    bool bot;
    const char *ua;
};

static const struct ua_case cases[] = {
    /* link-preview fetchers */
    {true, "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"},
    {true, "Slack-ImgProxy (+https://api.slack.com/robots)"},
    {true, "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"},
    {true, "facebookexternalhit/1.1"},
    {true, "Facebot"},
    {true,
     "meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)"},
    {true, "Twitterbot/1.0"},
    {true, "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)"},
    {true, "WhatsApp/2.23.20.0 A"},
    {true, "WhatsApp/2.2337.7 i"},
    {true, "TelegramBot (like TwitterBot)"},
    {true, "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)"},
    {true, "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 "
           "skype-url-preview@microsoft.com"},
    {true, "Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)"},
    {true, "Pinterestbot/1.0 (+http://www.pinterest.com/bot.html)"},
    {true, "Pinterest/0.2 (+https://www.pinterest.com/bot.html)"},
    {true, "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)"},
    {true, "Iframely/1.3.1 (+https://iframely.com/docs/about)"},
    {true, "Mozilla/5.0 (compatible; vkShare; +http://vk.com/dev/Share)"},
    {true, "http.rb/5.1.1 (Mastodon/4.2.1; +https://mastodon.social/) Bot"},
    /* search engines */
    {true, "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
    {true, "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, "
           "like Gecko) Chrome/120.0.6099.71 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
           "+http://www.google.com/bot.html)"},
    {true, "Mozilla/5.0 (compatible; Google-InspectionTool/1.0;)"},
    {true, "AdsBot-Google (+http://www.google.com/adsbot.html)"},
    {true, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
           "+http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36"},
    {true,
     "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)"},
    {true, "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)"},
    {true, "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)"},
    {true, "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)"},
    {true, "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)"},
    {true, "Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) Mobile "
           "Safari/537.36 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)"},
    /* SEO and AI crawlers */
    {true, "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)"},
    {true, "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)"},
    {true, "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)"},
    {true, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
           "+https://openai.com/gptbot)"},
    {true, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; "
           "+claudebot@anthropic.com)"},
    {true, "CCBot/2.0 (https://commoncrawl.org/faq/)"},
    {true, "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile "
           "Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)"},
    {true, "Mozilla/5.0 (compatible; SomeNewCrawler/0.1)"},
    /* audits and headless browsers */
    {true, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "HeadlessChrome/120.0.6099.109 Safari/537.36"},
    {true, "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like "
           "Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse"},
    {true, "W3C_Validator/1.3 http://validator.w3.org/services"},
    /* no User-Agent at all */
    {true, ""},
    {true, "   "},
    {true, " \t "},

    /* desktop browsers */
    {false, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36"},
    {false, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/120.0.0.0 Safari/537.36"},
    {false, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36"},
    {false, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/17.1 Safari/605.1.15"},
    {false, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"},
    {false, "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"},
    {false, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91"},
    {false, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0"},
    {false, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/118.0.0.0 YaBrowser/23.11.0.0 Safari/537.36"},
    {false, "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko"},
    /* mobile browsers */
    {false, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1"},
    {false, "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/16.6 Mobile/15E148 Safari/604.1"},
    {false, "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Mobile Safari/537.36"},
    {false, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1"},
    {false, "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0"},
    {false, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) FxiOS/121.0 Mobile/15E148 Safari/605.1.15"},
    {false, "Mozilla/5.0 (Linux; Android 10; HD1913) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.6099.43 Mobile Safari/537.36 EdgA/120.0.2210.84"},
    {false, "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like "
            "Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36"},
    {false, "Mozilla/5.0 (Linux; U; Android 10; en-US; RMX2020 Build/QP1A.190711.020) "
            "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/78.0.3904.108 "
            "UCBrowser/13.4.0.1306 Mobile Safari/537.36"},
    {false, "Mozilla/5.0 (Linux; Android 9; CUBOT_P30 Build/PPR1.180610.011) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"},
    {false, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) Version/17.1 Mobile/15E148 DuckDuckGo/7 Safari/605.1.15"},
    /* in-app browsers */
    {false, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) Mobile/15E148 Instagram 309.0.2.18.108 (iPhone14,5; iOS 17_1_2; en_US; "
            "en; scale=3.00; 1170x2532; 537153574)"},
    {false, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) Mobile/15E148 [FBAN/FBIOS;FBDV/iPhone13,2;FBMD/iPhone;FBSN/iOS;"
            "FBSV/17.1;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]"},
    {false, "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) "
            "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile "
            "Safari/537.36 [FB_IAB/FB4A;FBAV/442.0.0.33.113;]"},
    {false, "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) Mobile/15E148 [LinkedInApp]/9.29.8961"},
    {false, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) Mobile/15E148 musical_ly_32.5.0 JsSdk/2.0 NetType/WIFI Channel/App Store "
            "ByteLocale/en Region/US ByteFullLocale/en BytedanceWebview/d8a21c6"},
    {false, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) Mobile/15E148 Snapchat/12.60.0.41 (like Safari/8616.2.9.10.9, panda)"},
    {false, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) Mobile/15E148 Safari Line/13.20.0"},
    {false,
     "Mozilla/5.0 (Linux; Android 12; M2102J20SG Build/SKQ1.211006.001; wv) "
     "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/86.0.4240.99 XWEB/4317 "
     "MMWEBSDK/20220903 Mobile Safari/537.36 MMWEBID/6294 MicroMessenger/8.0.28.2240(0x28001C57) "
     "WeChat/arm64 Weixin NetType/WIFI Language/en ABI/arm64"},
    {false, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) Mobile/15E148 [Pinterest/iOS]"},
    {false, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) GSA/292.0.585489006 Mobile/15E148 Safari/604.1"},
    {false, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Slack/4.35.126 Chrome/118.0.5993.159 Electron/27.0.3 Safari/537.36 Sonic "
            "Slack_SSB/4.35.126"},
    {false, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "discord/1.0.9028 Chrome/120.0.6099.56 Electron/28.0.0 Safari/537.36"},
    /* tools people test links with: deliberately counted */
    {false, "curl/7.88.1"},
    {false, "python-requests/2.31.0"},
    {false, "Wget/1.21.3"},
    {false, "Go-http-client/1.1"},
};

static void *match_all(void *arg)
{
    size_t i, n = sizeof(cases) / sizeof(cases[0]);
    int *wrong = arg;

    for (i = 0; i < n; i++)
        *wrong += tl_bots_match(cases[i].ua) != cases[i].bot;
    return NULL;
}

/* First use from several threads at once: the table is loaded once, race-free. */
static void threads_first(void **state)
{
    pthread_t t[4];
    int wrong[4] = {0}, i;

    (void)state;
    for (i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, match_all, &wrong[i]), 0);
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(wrong[i], 0);
    }
}

static void table(void **state)
{
    size_t i, n = sizeof(cases) / sizeof(cases[0]);
    int wrong = 0;

    (void)state;
    assert_true(n >= 40);
    assert_int_equal(tl_bots_init(), TL_OK);
    for (i = 0; i < n; i++) {
        if (tl_bots_match(cases[i].ua) != cases[i].bot) {
            print_error("wrong answer (expected %s): %s\n", cases[i].bot ? "bot" : "person",
                        cases[i].ua);
            wrong++;
        }
    }
    assert_int_equal(wrong, 0);
}

static void edge_cases(void **state)
{
    char longua[4096];

    (void)state;
    assert_true(tl_bots_match(NULL));
    assert_true(tl_bots_match("GOOGLEBOT"));
    assert_true(tl_bots_match("gOoGlEbOt"));
    assert_true(tl_bots_match("x crawler")); /* a pattern at the very end */
    assert_true(tl_bots_match("bot/"));      /* a pattern that is the whole UA */
    assert_false(tl_bots_match("bot"));      /* a prefix of a pattern, then the end */
    assert_false(tl_bots_match("googlebo"));
    assert_false(tl_bots_match("x"));
    assert_false(tl_bots_match(" x "));
    assert_false(tl_bots_match("\xff\xfe\x80 Mozilla/5.0"));
    /* comments in bots.txt are not patterns */
    assert_false(tl_bots_match("# bots.txt"));
    /* no length limit: a marker far past any buffer size is still found */
    memset(longua, 'a', sizeof(longua));
    memcpy(longua + 3000, "Twitterbot", 10);
    longua[sizeof(longua) - 1] = '\0';
    assert_true(tl_bots_match(longua));
    longua[3000] = 'x';
    assert_false(tl_bots_match(longua));
    /* idempotent */
    assert_int_equal(tl_bots_init(), TL_OK);
}

/* The per-thread memory of the last User-Agent never answers for another. */
static void memo(void **state)
{
    size_t i, n = sizeof(cases) / sizeof(cases[0]);
    char buf[1024];

    (void)state;
    for (i = 0; i < n; i++) {
        /* each twice in a row (the second answered from memory), then
         * alternating with its neighbour */
        assert_int_equal(tl_bots_match(cases[i].ua), cases[i].bot);
        assert_int_equal(tl_bots_match(cases[i].ua), cases[i].bot);
        assert_int_equal(tl_bots_match(cases[(i + 1) % n].ua), cases[(i + 1) % n].bot);
        assert_int_equal(tl_bots_match(cases[i].ua), cases[i].bot);
    }
    /* prefixes and extensions of the remembered one */
    assert_false(tl_bots_match("Mozilla/5.0 x"));
    assert_true(tl_bots_match("Mozilla/5.0 x Twitterbot"));
    assert_false(tl_bots_match("Mozilla/5.0 x"));
    assert_true(tl_bots_match("twitterbot"));
    assert_false(tl_bots_match("twitterbo"));
    assert_true(tl_bots_match(""));
    assert_true(tl_bots_match(NULL));
    assert_false(tl_bots_match("x"));
    /* the same bytes in another buffer */
    snprintf(buf, sizeof(buf), "%s", "x");
    assert_false(tl_bots_match(buf));
    buf[0] = ' ';
    assert_true(tl_bots_match(buf)); /* now all blanks */
    /* too long to remember: still answered right each time */
    memset(buf, 'a', sizeof(buf));
    memcpy(buf + 700, "Twitterbot", 10);
    buf[sizeof(buf) - 1] = '\0';
    assert_true(tl_bots_match(buf));
    assert_true(tl_bots_match(buf));
    buf[700] = 'x';
    assert_false(tl_bots_match(buf));
    assert_false(tl_bots_match(buf));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threads_first),
        cmocka_unit_test(table),
        cmocka_unit_test(edge_cases),
        cmocka_unit_test(memo),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
