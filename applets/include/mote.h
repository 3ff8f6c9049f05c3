/* The Mote applet host interface (docs/APPLETS.md): import module "mote".
 * Applets are freestanding C (no libc) compiled to wasm32 by applets/build.sh. */
#ifndef MOTE_H
#define MOTE_H

typedef unsigned char uint8_t;
typedef unsigned int uint32_t;
typedef int int32_t;
typedef unsigned long long uint64_t;
typedef long long int64_t;

#define MOTE_IMPORT(name) __attribute__((import_module("mote"), import_name(#name)))
#define MOTE_EXPORT(name) __attribute__((export_name(#name)))

/* The number of messages in the window, in ascending sequence order. */
MOTE_IMPORT(message_count) int32_t message_count(void);
/* Message `index`'s sequence number and device timestamp (Unix seconds). */
MOTE_IMPORT(message_sequence) int64_t message_sequence(int32_t index);
MOTE_IMPORT(message_timestamp) int64_t message_timestamp(int32_t index);
/* Message `index`'s payload length in bytes. */
MOTE_IMPORT(message_length) int32_t message_length(int32_t index);
/* Copies min(length, capacity) payload bytes to `buffer`; returns the payload length. */
MOTE_IMPORT(read_message) int32_t read_message(int32_t index, void *buffer, int32_t capacity);
/* The project's parameter bytes. */
MOTE_IMPORT(params_length) int32_t params_length(void);
MOTE_IMPORT(read_params) int32_t read_params(void *buffer, int32_t capacity);
/* Sets the result (once; at most 256 bytes by default). result[0] != 0 means "reward". */
MOTE_IMPORT(write_result) void write_result(const void *buffer, int32_t length);

/* Little-endian helpers. */
static inline uint64_t mote_load_u64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static inline uint32_t mote_load_u32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline void mote_store_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) { p[i] = (uint8_t)v; v >>= 8; }
}
static inline void mote_store_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) { p[i] = (uint8_t)v; v >>= 8; }
}

/* Finds `"key"` followed by optional spaces and ':' in buf[0..len); returns the offset just past
 * the ':' (and any spaces), or -1. The key must be quoted exactly, so "steps" does not match
 * "totalSteps". */
static inline int32_t mote_find_field(const uint8_t *buf, int32_t len, const char *key) {
    int32_t key_len = 0;
    while (key[key_len]) key_len++;
    for (int32_t i = 0; i + key_len + 2 <= len; i++) {
        if (buf[i] != '"') continue;
        int32_t k = 0;
        while (k < key_len && buf[i + 1 + k] == (uint8_t)key[k]) k++;
        if (k != key_len || buf[i + 1 + key_len] != '"') continue;
        int32_t j = i + key_len + 2;
        while (j < len && (buf[j] == ' ' || buf[j] == '\t')) j++;
        if (j >= len || buf[j] != ':') continue;
        j++;
        while (j < len && (buf[j] == ' ' || buf[j] == '\t')) j++;
        return j;
    }
    return -1;
}

#endif
