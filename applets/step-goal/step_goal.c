/* step-goal: "at least N steps in the window".
 * params: u64 LE goal. Sums the "steps":<non-negative integer> field of each JSON payload
 * (a payload without it, or with another value there, counts 0; the sum saturates).
 * result (9 bytes): [total >= goal ? 1 : 0] ‖ total u64 LE. Exit code 2: params are not 8 bytes. */
#include "mote.h"

#define BUFFER_BYTES 16384
static uint8_t buffer[BUFFER_BYTES];

/* The integer at buf[at..], or 0 when there is none. */
static uint64_t parse_steps(const uint8_t *buf, int32_t len, int32_t at) {
    uint64_t value = 0;
    int32_t digits = 0;
    while (at < len && buf[at] >= '0' && buf[at] <= '9') {
        uint64_t digit = (uint64_t)(buf[at] - '0');
        if (value > (0xFFFFFFFFFFFFFFFFull - digit) / 10) value = 0xFFFFFFFFFFFFFFFFull;
        else value = value * 10 + digit;
        digits++;
        at++;
    }
    /* A fraction or exponent means it is not an integer count. */
    if (digits == 0 || (at < len && (buf[at] == '.' || buf[at] == 'e' || buf[at] == 'E'))) return 0;
    return value;
}

MOTE_EXPORT(run) int32_t run(void) {
    uint8_t params[8];
    if (params_length() != 8) return 2;
    read_params(params, 8);
    uint64_t goal = mote_load_u64(params);

    uint64_t total = 0;
    int32_t count = message_count();
    for (int32_t i = 0; i < count; i++) {
        int32_t len = read_message(i, buffer, BUFFER_BYTES);
        if (len > BUFFER_BYTES) len = BUFFER_BYTES;
        int32_t at = mote_find_field(buffer, len, "steps");
        if (at < 0) continue;
        uint64_t steps = parse_steps(buffer, len, at);
        total = (total > 0xFFFFFFFFFFFFFFFFull - steps) ? 0xFFFFFFFFFFFFFFFFull : total + steps;
    }

    uint8_t result[9];
    result[0] = total >= goal ? 1 : 0;
    mote_store_u64(result + 1, total);
    write_result(result, 9);
    return 0;
}
