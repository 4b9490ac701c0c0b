-- load.lua: the wrk script of the integration tests: every request is a
-- browser's GET of the URL given to wrk (a browser's User-Agent, so that
-- each click does the work of a person's click, not a bot's).
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 " ..
                            "(KHTML, like Gecko) Chrome/124.0 Safari/537.36 tracklink-test-load"
