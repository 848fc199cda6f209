/*
 * timefmt.c - ISO-8601 TIMESTAMP parsing and printing (see timefmt.h).
 *
 * Calendar arithmetic is the proleptic Gregorian calendar (what java.time
 * uses), done with Howard Hinnant's days-from-civil algorithm so negative
 * years work without any libc time function.
 */
#include "timefmt.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * calendar
 * ------------------------------------------------------------------------ */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* ------------------------------------------------------------------------
 * parsing
 * ------------------------------------------------------------------------ */

static cs_err_t bad(cs_error_t *err, const char *text, size_t len, const char *why)
{
    return cs_fail(err, CS_EINVAL, "Failed to parse the timestamp string '%.*s': %s",
                   (int)(len > 64 ? 64 : len), text, why);
}

/* Does the text (after a leading '-') carry a zone offset sign? The service's
 * rule: any '+', or a third '-' (two belong to the date). */
static bool has_offset_sign(const char *s, size_t len)
{
    int hyphens = 0;
    for (size_t i = 1; i < len; i++) {
        if (s[i] == '+')
            return true;
        if (s[i] == '-' && ++hyphens == 3)
            return true;
    }
    return false;
}

cs_err_t timefmt_parse(const char *text, size_t len, cs_ts_t *out, cs_error_t *err)
{
    static const char *const names[7] = {"year", "month", "day", "hour", "minute",
                                         "second", "fractional second"};
    int64_t comp[7] = {0};
    int ndig[7] = {0};
    int ncomp = 0;        /* index of the component being read */
    int offset_min = 0;   /* zone offset, minutes east of UTC */
    size_t n = len;
    const char *s = text;

    if (len == 0)
        return bad(err, text, len, "empty string");
    if (len > 64)
        return bad(err, text, len, "string too long");

    /* zone designator */
    if (s[n - 1] == 'Z') {
        n--;
    } else if (n >= 6 && memcmp(s + n - 6, "+00:00", 6) == 0) {
        n -= 6;
    } else if (has_offset_sign(s, n)) {
        /* (+|-)hh:mm at the end */
        if (n < 6 || (s[n - 6] != '+' && s[n - 6] != '-') || s[n - 3] != ':')
            return bad(err, text, len, "invalid zone offset, expected +hh:mm or -hh:mm");
        for (size_t i = n - 5; i < n; i++)
            if (i != n - 3 && (s[i] < '0' || s[i] > '9'))
                return bad(err, text, len, "invalid zone offset, expected +hh:mm or -hh:mm");
        int oh = (s[n - 5] - '0') * 10 + (s[n - 4] - '0');
        int om = (s[n - 2] - '0') * 10 + (s[n - 1] - '0');
        if (oh > 18 || om > 59)
            return bad(err, text, len, "zone offset out of range");
        offset_min = (oh * 60 + om) * (s[n - 6] == '-' ? -1 : 1);
        n -= 6;
    }

    size_t i = 0;
    bool negative_year = n > 0 && s[0] == '-';
    if (negative_year)
        i = 1;
    for (; i < n; i++) {
        char ch = s[i];
        if (ch >= '0' && ch <= '9') {
            if (++ndig[ncomp] > (ncomp == 0 ? 6 : ncomp == 6 ? 9 : 2))
                return bad(err, text, len, ncomp == 6
                           ? "the fractional-seconds part contains more than 9 digits"
                           : "too many digits in a component");
            comp[ncomp] = comp[ncomp] * 10 + (ch - '0');
            continue;
        }
        static const char sep[6] = {'-', '-', 'T', ':', ':', '.'};
        if (ncomp < 6 && (ch == sep[ncomp] || (ncomp == 2 && ch == ' '))) {
            if (ndig[ncomp] == 0)
                goto zero_digits;
            ncomp++;
            continue;
        }
        char why[96];
        snprintf(why, sizeof why, "invalid character '%c' while parsing component %s",
                 ch, names[ncomp]);
        return bad(err, text, len, why);
    }
    if (ndig[ncomp] == 0)
        goto zero_digits;
    if (ncomp < 2)
        return bad(err, text, len, "the timestamp string must have at least the 3 date components");
    if (offset_min != 0 && ncomp > 2 && ncomp < 5)
        return bad(err, text, len, "a time with a zone offset must have hours, minutes and seconds");
    /* scale the fraction to nanoseconds */
    if (ncomp == 6)
        for (int k = ndig[6]; k < 9; k++)
            comp[6] *= 10;

    int64_t year = negative_year ? -comp[0] : comp[0];
    if (comp[1] < 1 || comp[1] > 12)
        return bad(err, text, len, "invalid month, it should be in range from 1 to 12");
    if (comp[2] < 1 || comp[2] > days_in_month(year, (int)comp[1]))
        return bad(err, text, len, "invalid day of month");
    if (comp[3] > 23)
        return bad(err, text, len, "invalid hour, it should be in range from 0 to 23");
    if (comp[4] > 59)
        return bad(err, text, len, "invalid minute, it should be in range from 0 to 59");
    if (comp[5] > 59)
        return bad(err, text, len, "invalid second, it should be in range from 0 to 59");

    cs_ts_t t;
    t.sec = days_from_civil(year, (int)comp[1], (int)comp[2]) * 86400 + comp[3] * 3600 +
            comp[4] * 60 + comp[5] - (int64_t)offset_min * 60;
    t.nsec = (int32_t)comp[6];
    if (!timefmt_in_range(t))
        return bad(err, text, len, "the timestamp is outside the supported range "
                   "-6383-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z");
    *out = t;
    return CS_OK;

zero_digits: {
        char why[64];
        snprintf(why, sizeof why, "component %s has 0 digits", names[ncomp]);
        return bad(err, text, len, why);
    }
}

/* ------------------------------------------------------------------------
 * range, rounding, conversion
 * ------------------------------------------------------------------------ */

bool timefmt_in_range(cs_ts_t t)
{
    return t.nsec >= 0 && t.nsec <= 999999999 && t.sec >= TIMEFMT_MIN_SEC &&
           t.sec <= TIMEFMT_MAX_SEC;
}

cs_ts_t timefmt_round(cs_ts_t t, int precision)
{
    if (precision < 0)
        precision = 0;
    if (precision >= 9 || t.nsec == 0)
        return t;
    int32_t base = 1;
    for (int i = precision; i < 9; i++)
        base *= 10;
    int64_t n = ((int64_t)t.nsec + base / 2) / base * base;
    if (n >= 1000000000) {
        t.sec++;
        n = 0;
    }
    t.nsec = (int32_t)n;
    if (t.sec > TIMEFMT_MAX_SEC) {
        t.sec = TIMEFMT_MAX_SEC;
        t.nsec = 999999999 / base * base;
    }
    return t;
}

cs_ts_t timefmt_from_ms(int64_t ms)
{
    cs_ts_t t;
    int64_t sec = ms / 1000, rem = ms % 1000;
    if (rem < 0) {
        rem += 1000;
        sec--;
    }
    t.sec = sec;
    t.nsec = (int32_t)(rem * 1000000);
    return t;
}

int64_t timefmt_to_ms(cs_ts_t t)
{
    return t.sec * 1000 + t.nsec / 1000000;
}

/* ------------------------------------------------------------------------
 * printing
 * ------------------------------------------------------------------------ */

/* Shared printer; zone_z appends the 'Z' designator. */
static size_t format_ts(cs_ts_t t, char *out, size_t cap, bool zone_z)
{
    int64_t days = t.sec / 86400, secs = t.sec % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int hh = (int)(secs / 3600), mi = (int)(secs / 60 % 60), ss = (int)(secs % 60);
    int n;
    if (y < 0)
        n = snprintf(out, cap, "-%04lld-%02d-%02dT%02d:%02d:%02d", (long long)-y, m, d, hh, mi, ss);
    else
        n = snprintf(out, cap, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)y, m, d, hh, mi, ss);
    if (n < 0 || (size_t)n >= cap)
        return 0;
    size_t len = (size_t)n;
    if (t.nsec > 0 && t.nsec <= 999999999) {
        char frac[16];
        snprintf(frac, sizeof frac, "%09d", (int)t.nsec);
        int fl = 9;
        while (fl > 0 && frac[fl - 1] == '0')
            fl--;
        if (len + 1 + (size_t)fl + 2 > cap)
            return 0;
        out[len++] = '.';
        memcpy(out + len, frac, (size_t)fl);
        len += (size_t)fl;
    }
    if (len + 2 > cap)
        return 0;
    if (zone_z)
        out[len++] = 'Z';
    out[len] = '\0';
    return len;
}

size_t timefmt_format(cs_ts_t t, char *out, size_t cap)
{
    return format_ts(t, out, cap, true);
}

size_t timefmt_format_value(cs_ts_t t, char *out, size_t cap)
{
    return format_ts(t, out, cap, false);
}

size_t timefmt_format_ms(int64_t ms, char *out, size_t cap)
{
    return timefmt_format(timefmt_from_ms(ms), out, cap);
}
