/*
 * check_timefmt.c - TIMESTAMP text: the forms borneo/Java/Go send, the
 * service's printed form and rounding, the supported range.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

static cs_ts_t P(const char *s)
{
    cs_ts_t t = {0, 0};
    cs_error_t e;
    cs_err_t rc = timefmt_parse(s, strlen(s), &t, &e);
    ck_assert_msg(rc == CS_OK, "%s: %s", s, e.msg);
    return t;
}

static const char *F(cs_ts_t t)
{
    static char buf[TIMEFMT_TEXT_MAX];
    ck_assert_uint_gt(timefmt_format(t, buf, sizeof buf), 0);
    return buf;
}

static void bad(const char *s, const char *frag)
{
    cs_ts_t t;
    cs_error_t e = {0};
    ck_assert_msg(timefmt_parse(s, strlen(s), &t, &e) == CS_EINVAL, "%s accepted", s);
    ck_assert_msg(strstr(e.msg, frag) != NULL, "%s: '%s' lacks '%s'", s, e.msg, frag);
}

START_TEST(parse_forms)
{
    /* 2026-01-02T03:04:05Z = 1767323045 */
    ck_assert_int_eq(P("2026-01-02T03:04:05Z").sec, 1767323045);
    ck_assert_int_eq(P("2026-01-02T03:04:05.123Z").nsec, 123000000);
    ck_assert_int_eq(P("2026-01-02T03:04:05.123456Z").nsec, 123456000);
    ck_assert_int_eq(P("2026-01-02T03:04:05.123456789").nsec, 123456789);
    ck_assert_int_eq(P("2026-01-02T03:04:05").sec, 1767323045);          /* no zone = UTC */
    ck_assert_int_eq(P("2026-01-02T03:04:05+00:00").sec, 1767323045);
    ck_assert_int_eq(P("2026-01-02T05:04:05+02:00").sec, 1767323045);    /* offsets */
    ck_assert_int_eq(P("2026-01-01T22:34:05-04:30").sec, 1767323045);
    ck_assert_int_eq(P("2026-01-02 03:04:05").sec, 1767323045);          /* ' ' for 'T' */
    ck_assert_int_eq(P("2026-01-02").sec, 1767312000);                   /* fewer fields */
    ck_assert_int_eq(P("2026-01-02T03").sec, 1767312000 + 3 * 3600);
    ck_assert_int_eq(P("2026-01-02T03:04").sec, 1767312000 + 3 * 3600 + 240);
    ck_assert_int_eq(P("1970-01-01T00:00:00Z").sec, 0);
    ck_assert_int_eq(P("1969-12-31T23:59:59.5Z").sec, -1);
    ck_assert_int_eq(P("1969-12-31T23:59:59.5Z").nsec, 500000000);
    ck_assert_int_eq(P("2024-02-29").sec, 1709164800);                   /* leap day */
    ck_assert_int_eq(P("-6383-01-01T00:00:00Z").sec, TIMEFMT_MIN_SEC);
    ck_assert_int_eq(P("9999-12-31T23:59:59.999999999Z").sec, TIMEFMT_MAX_SEC);
}
END_TEST

START_TEST(format_rules)
{
    ck_assert_str_eq(F(P("2026-01-02T03:04:05Z")), "2026-01-02T03:04:05Z");
    ck_assert_str_eq(F(P("2026-01-02T03:04:05.120Z")), "2026-01-02T03:04:05.12Z");
    ck_assert_str_eq(F(P("2026-01-02T03:04:05.000000001Z")), "2026-01-02T03:04:05.000000001Z");
    ck_assert_str_eq(F(P("2026-01-02T05:04:05+02:00")), "2026-01-02T03:04:05Z");
    ck_assert_str_eq(F(P("0001-01-01")), "0001-01-01T00:00:00Z");
    ck_assert_str_eq(F(P("-0044-03-15T12:00:00Z")), "-0044-03-15T12:00:00Z");
    ck_assert_str_eq(F(P("-6383-01-01")), "-6383-01-01T00:00:00Z");
    char buf[TIMEFMT_TEXT_MAX];
    timefmt_format_ms(1767323045123LL, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-01-02T03:04:05.123Z");
    timefmt_format_ms(-1, buf, sizeof buf);
    ck_assert_str_eq(buf, "1969-12-31T23:59:59.999Z");
    ck_assert_int_eq(timefmt_to_ms(P("2026-01-02T03:04:05.123Z")), 1767323045123LL);
    /* a round trip over many instants */
    for (int64_t s = TIMEFMT_MIN_SEC; s < TIMEFMT_MAX_SEC; s += 86400LL * 367 + 3601) {
        cs_ts_t t = {s, (int32_t)(s % 1000000000 < 0 ? -(s % 1000000000) : s % 1000000000)};
        cs_ts_t u = P(F(t));
        ck_assert_int_eq(u.sec, t.sec);
        ck_assert_int_eq(u.nsec, t.nsec);
    }
}
END_TEST

START_TEST(rounding)
{
    cs_ts_t t = P("2026-01-02T03:04:05.123456789Z");
    ck_assert_str_eq(F(timefmt_round(t, 9)), "2026-01-02T03:04:05.123456789Z");
    ck_assert_str_eq(F(timefmt_round(t, 4)), "2026-01-02T03:04:05.1235Z");   /* half up */
    ck_assert_str_eq(F(timefmt_round(t, 3)), "2026-01-02T03:04:05.123Z");
    ck_assert_str_eq(F(timefmt_round(t, 0)), "2026-01-02T03:04:05Z");
    ck_assert_str_eq(F(timefmt_round(P("2026-01-02T03:04:05.5Z"), 0)), "2026-01-02T03:04:06Z");
    ck_assert_str_eq(F(timefmt_round(P("2026-12-31T23:59:59.9999Z"), 3)),
                     "2027-01-01T00:00:00Z");
    /* past the maximum: clamped, truncated to the precision */
    ck_assert_str_eq(F(timefmt_round(P("9999-12-31T23:59:59.9999Z"), 3)),
                     "9999-12-31T23:59:59.999Z");
}
END_TEST

START_TEST(errors)
{
    bad("", "empty");
    bad("2026", "at least the 3 date components");
    bad("2026-01", "at least the 3 date components");
    bad("2026-13-01", "invalid month");
    bad("2026-02-30", "invalid day");
    bad("2025-02-29", "invalid day");
    bad("2026-01-02T24:00:00", "invalid hour");
    bad("2026-01-02T23:60:00", "invalid minute");
    bad("2026-01-02T23:59:60", "invalid second");
    bad("2026-01-02T03:04:05.1234567891Z", "more than 9 digits");
    bad("2026-01-02T", "has 0 digits");
    bad("2026/01/02", "invalid character '/'");
    bad("2026-01-02T03:04:05+2:00", "zone offset");
    bad("2026-01-02T03:04+02:00", "hours, minutes and seconds");
    bad("10000-01-01", "outside the supported range");
    bad("-6384-12-31", "outside the supported range");
    bad("hello", "invalid character 'h'");
    bad("2026-01-02T03:04:05ZZ", "invalid character 'Z'");
    char big[200];
    memset(big, '1', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    bad(big, "too long");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("timefmt");
    TCase *core = tcase_create("Core");
    tcase_add_test(core, parse_forms);
    tcase_add_test(core, format_rules);
    tcase_add_test(core, rounding);
    suite_add_tcase(s, core);
    TCase *lim = tcase_create("Limits");
    tcase_add_test(lim, errors);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
