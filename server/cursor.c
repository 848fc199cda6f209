/* cursor.c - HMAC-protected consumer cursors (OpenSSL HMAC-SHA256). */
#include "cursor.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "buf.h"

#define CURSOR_BODY 17
#define CURSOR_MAC 16

static void cursor_mac(const uint8_t *body, const uint8_t *secret, size_t secret_len,
                       uint8_t mac[CURSOR_MAC])
{
    uint8_t full[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), secret, (int)secret_len, body, CURSOR_BODY, full, &n);
    memcpy(mac, full, CURSOR_MAC);
}

void cursor_encode(const cursor_t *c, const uint8_t *secret, size_t secret_len,
                   uint8_t out[CURSOR_LEN])
{
    out[0] = CURSOR_FORMAT;
    be64_store(out + 1, c->consumer_id);
    be64_store(out + 9, c->poll_seq);
    cursor_mac(out, secret, secret_len, out + CURSOR_BODY);
}

cs_err_t cursor_decode(const uint8_t *in, size_t len, const uint8_t *secret, size_t secret_len,
                       cursor_t *out, cs_error_t *err)
{
    uint8_t mac[CURSOR_MAC];
    if (!in || len != CURSOR_LEN || in[0] != CURSOR_FORMAT)
        return cs_fail(err, CS_ENOTFOUND,
                       "Invalid consumer cursor: not a cursor issued by this server");
    cursor_mac(in, secret, secret_len, mac);
    if (CRYPTO_memcmp(mac, in + CURSOR_BODY, CURSOR_MAC) != 0)
        return cs_fail(err, CS_ENOTFOUND,
                       "Invalid consumer cursor: forged, corrupted, or from another data directory");
    out->consumer_id = be64_load(in + 1);
    out->poll_seq = be64_load(in + 9);
    return CS_OK;
}
