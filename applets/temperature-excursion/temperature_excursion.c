/* temperature-excursion: "the goods stayed within [min, max] except for at most S seconds".
 * params (12 bytes): min i32 LE, max i32 LE (centi-degrees, e.g. 200 and 800 for 2–8 °C),
 * max seconds out of range u32 LE.
 * Reads "temperature":<decimal> from each JSON payload (payloads without it are skipped; at most
 * two fraction digits count, further digits are ignored; exponents are not readings). A reading
 * outside [min, max] counts the time until the next reading's timestamp (timestamps are the
 * envelopes' milliseconds; 0 if the clock did not advance; the last reading counts 0); the total
 * is reported in whole seconds, rounded down.
 * result (9 bytes): [readings > 0 && seconds <= S ? 1 : 0] ‖ seconds out of range u32 LE ‖
 * readings u32 LE. Exit code 2: params are not 12 bytes. */
#include "mote.h"

#define BUFFER_BYTES 16384
static uint8_t buffer[BUFFER_BYTES];

/* Parses a decimal at buf[at..] into centi-degrees; returns 0 when there is none. */
static int parse_centi(const uint8_t *buf, int32_t len, int32_t at, int64_t *out) {
    int negative = 0;
    if (at < len && buf[at] == '-') { negative = 1; at++; }
    int64_t whole = 0;
    int32_t digits = 0;
    while (at < len && buf[at] >= '0' && buf[at] <= '9') {
        if (whole < 100000000000LL) whole = whole * 10 + (buf[at] - '0');
        digits++;
        at++;
    }
    if (digits == 0) return 0;
    int64_t fraction = 0;
    if (at < len && buf[at] == '.') {
        at++;
        int32_t fraction_digits = 0;
        while (at < len && buf[at] >= '0' && buf[at] <= '9') {
            if (fraction_digits < 2) fraction = fraction * 10 + (buf[at] - '0');
            fraction_digits++;
            at++;
        }
        if (fraction_digits == 0) return 0;
        if (fraction_digits == 1) fraction *= 10;
    }
    if (at < len && (buf[at] == 'e' || buf[at] == 'E')) return 0;
    int64_t centi = whole * 100 + fraction;
    *out = negative ? -centi : centi;
    return 1;
}

MOTE_EXPORT(run) int32_t run(void) {
    uint8_t params[12];
    if (params_length() != 12) return 2;
    read_params(params, 12);
    int64_t min = (int32_t)mote_load_u32(params);
    int64_t max = (int32_t)mote_load_u32(params + 4);
    uint32_t allowed = mote_load_u32(params + 8);

    uint64_t milliseconds = 0;
    uint32_t readings = 0;
    int have_previous = 0;
    int previous_out = 0;
    uint64_t previous_time = 0;
    int32_t count = message_count();
    for (int32_t i = 0; i < count; i++) {
        int32_t len = read_message(i, buffer, BUFFER_BYTES);
        if (len > BUFFER_BYTES) len = BUFFER_BYTES;
        int32_t at = mote_find_field(buffer, len, "temperature");
        int64_t centi;
        if (at < 0 || !parse_centi(buffer, len, at, &centi)) continue;
        uint64_t time = (uint64_t)message_timestamp(i);
        if (have_previous && previous_out && time > previous_time) milliseconds += time - previous_time;
        have_previous = 1;
        previous_out = centi < min || centi > max;
        previous_time = time;
        readings++;
    }

    uint64_t seconds = milliseconds / 1000;
    uint32_t out = seconds > 0xFFFFFFFFull ? 0xFFFFFFFFu : (uint32_t)seconds;
    uint8_t result[9];
    result[0] = (readings > 0 && out <= allowed) ? 1 : 0;
    mote_store_u32(result + 1, out);
    mote_store_u32(result + 5, readings);
    write_result(result, 9);
    return 0;
}
