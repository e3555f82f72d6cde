/* Little-endian integers in byte buffers, whatever the host's order: the npy, safetensors and
 * predictor file formats all store their lengths and integers this way. */
#ifndef PRLE_IO_ENDIAN_H
#define PRLE_IO_ENDIAN_H

#include <stddef.h>
#include <stdint.h>

/** The n-byte (n <= 8) little-endian unsigned integer at p. */
static inline uint64_t prle__le_get(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i > 0; i--)
        v = v << 8 | p[i - 1];
    return v;
}

/** Writes the low n bytes (n <= 8) of v at p, least significant first. */
static inline void prle__le_put(unsigned char *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

#endif
