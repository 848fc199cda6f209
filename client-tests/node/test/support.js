/*
 * support.js - shared helpers for the Node.js SDK tests.
 *
 * run.sh starts csemu and exports CSEMU_ENDPOINT; every test file builds
 * its own NoSQLClient (cloud-simulator mode, so the SDK sends
 * "Bearer TestTenant") and gives its tables names with a per-process suffix,
 * so files can run in parallel against one server, or against a server that
 * already holds data.
 */
'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');
const {
    NoSQLClient, ServiceType, NoSQLError, ErrorCode
} = require('oracle-nosqldb');
const NsonProtocolManager =
    require('oracle-nosqldb/lib/nson_protocol/protocol_manager');

const ENDPOINT = process.env.CSEMU_ENDPOINT;
if (!ENDPOINT) {
    throw new Error('CSEMU_ENDPOINT is not set: run the tests through ' +
        'client-tests/node/run.sh (or make test-node)');
}

const SUFFIX = process.pid.toString(36) +
    Math.floor(Math.random() * 1e6).toString(36);

const LIMITS = { readUnits: 50, writeUnits: 20, storageGB: 1 };

/* A client of the emulator; extra config (auth, longAsBigInt, dbNumber...)
 * is merged in. */
function makeClient(extra) {
    return new NoSQLClient(Object.assign({
        serviceType: ServiceType.CLOUDSIM,
        endpoint: ENDPOINT,
        timeout: 15000,
        ddlTimeout: 15000,
        tablePollTimeout: 15000
    }, extra || {}));
}

/* A table name unique to this process: base + '_' + suffix. */
function tname(base) {
    return `${base}_${SUFFIX}`;
}

/* CREATE TABLE with limits, waiting until the table is ACTIVE. */
function createTable(client, ddl, limits) {
    return client.tableDDL(ddl, {
        tableLimits: limits === undefined ? LIMITS : limits,
        complete: true
    });
}

/* Waits for `promise` to reject with a NoSQLError of `code`, and of class
 * `cls` when given; returns the error for further checks. */
async function expectError(promise, code, cls) {
    let err;
    try {
        const res = await promise;
        assert.fail(`expected error ${code.name}, got a result: ` +
            JSON.stringify(res, (k, v) =>
                (typeof v === 'bigint' ? v.toString() : v)));
    } catch (e) {
        if (e instanceof assert.AssertionError) {
            throw e;
        }
        err = e;
    }
    assert.ok(err instanceof NoSQLError,
        `expected a NoSQLError, got ${err && err.stack}`);
    assert.equal(err.errorCode, code,
        `expected errorCode ${code.name}, got ${err.errorCode &&
            err.errorCode.name}: ${err.message}`);
    if (cls) {
        assert.ok(err instanceof cls,
            `expected ${cls.name}, got ${err.constructor.name}: ` +
            err.message);
    }
    return err;
}

/* Registers the file's last test: after everything this file did, the
 * handle still speaks serial version 4 (NSON). The SDK drops to the older
 * binary protocol (3, then 2) for the rest of the handle's life if a reply
 * starts with byte 24 or 17, so a single such reply anywhere in the file
 * would show here. */
function serialVersionTest(getClient) {
    test('handle still on serial version 4 (no protocol fallback)', () => {
        const client = getClient();
        /* NoSQLClient#getSerialVersion() is broken in 5.5.4 (it calls a
         * missing _getSerialVersion), so read the getter the SDK's own
         * tests use, and check the protocol manager itself too. */
        assert.equal(client._serialVersion, 4);
        assert.equal(client._client._pm, NsonProtocolManager,
            'the handle switched to the binary (pre-V4) protocol');
    });
}

module.exports = {
    ENDPOINT, LIMITS, ErrorCode, makeClient, tname, createTable,
    expectError, serialVersionTest
};
