/* cursor.c - HMAC-protected consumer cursors (OpenSSL 3 EVP_MAC, HMAC-SHA256). */
#include "cursor.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define CURSOR_BODY 17
#define CURSOR_MAC 16

struct cursor_key {
    EVP_MAC_CTX *tmpl;   /* keyed, never updated: each MAC works on a copy */
};

cursor_key_t *cursor_key_new(const uint8_t *secret, size_t secret_len)
{
    cursor_key_t *k = calloc(1, sizeof *k);
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (k && mac)
        k->tmpl = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    OSSL_PARAM p[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                       OSSL_PARAM_construct_end() };
    if (!k || !k->tmpl || !EVP_MAC_init(k->tmpl, secret, secret_len, p)) {
        cursor_key_free(k);
        return NULL;
    }
    return k;
}

void cursor_key_free(cursor_key_t *k)
{
    if (!k)
        return;
    EVP_MAC_CTX_free(k->tmpl);
    free(k);
}

/* The truncated MAC of a cursor body; false if OpenSSL fails (the cursor
 * then never verifies, which is the safe direction). */
static bool cursor_mac(const uint8_t *body, const cursor_key_t *k, uint8_t mac[CURSOR_MAC])
{
    uint8_t full[EVP_MAX_MD_SIZE];
    size_t n = 0;
    EVP_MAC_CTX *c = EVP_MAC_CTX_dup(k->tmpl);
    bool ok = c && EVP_MAC_update(c, body, CURSOR_BODY) &&
              EVP_MAC_final(c, full, &n, sizeof full) && n >= CURSOR_MAC;
    EVP_MAC_CTX_free(c);
    if (ok)
        memcpy(mac, full, CURSOR_MAC);
    else
        memset(mac, 0, CURSOR_MAC);
    return ok;
}

void cursor_encode(const cursor_t *c, const cursor_key_t *k, uint8_t out[CURSOR_LEN])
{
    out[0] = CURSOR_FORMAT;
    be64_store(out + 1, c->consumer_id);
    be64_store(out + 9, c->poll_seq);
    cursor_mac(out, k, out + CURSOR_BODY);
}

cs_err_t cursor_decode(const uint8_t *in, size_t len, const cursor_key_t *k, cursor_t *out,
                       cs_error_t *err)
{
    uint8_t mac[CURSOR_MAC];
    if (!in || len != CURSOR_LEN || in[0] != CURSOR_FORMAT)
        return cs_fail(err, CS_ENOTFOUND,
                       "Invalid consumer cursor: not a cursor issued by this server");
    if (!cursor_mac(in, k, mac) || CRYPTO_memcmp(mac, in + CURSOR_BODY, CURSOR_MAC) != 0)
        return cs_fail(err, CS_ENOTFOUND,
                       "Invalid consumer cursor: forged, corrupted, or from another data directory");
    out->consumer_id = be64_load(in + 1);
    out->poll_seq = be64_load(in + 9);
    return CS_OK;
}
