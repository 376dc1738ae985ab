package dev.diaspora.stream.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The server-side Lua scripts: each runs atomically on the server, which is what makes EventIDs dense and unique
 * across processes and topic creation and deletion race-free. A script is sent by its SHA-1 and, when the server does
 * not know it (first use, or after a restart), by its text.
 *
 * <p>Thread safety: immutable.
 */
final class RedisScripts {
    /** The error prefix of an operation on a deleted incarnation. */
    static final String DELETED = "DIASPORA_DELETED";

    /** The error prefix of an append whose large values, written ahead of the script, are gone. */
    static final String UPLOAD_MISSING = "DIASPORA_UPLOAD_MISSING";

    /**
     * Lua: removes the data of event {@code did} (its EventID as text) of size {@code z}, chunk size {@code k} (0: one
     * field), from the data hash {@code data}, or, when {@code keyed}, the string keys under {@code vp} that hold it.
     */
    private static final String DROP_DATA = """
            local function dropData(data, vp, did, z, k, keyed)
              if z == 0 then return end
              local n = 1
              if k > 0 then n = math.floor((z + k - 1) / k) end
              for c = 0, n - 1 do
                local f = did
                if k > 0 then f = did .. '.' .. c end
                if keyed then redis.call('UNLINK', vp .. f) else redis.call('HDEL', data, f) end
              end
            end
            """;

    /**
     * Appends a batch. KEYS: stream, data, state, dedup (one partition's keys: one slot), then the temporary keys
     * holding the batch's large values, in order ({@link RedisKeys.Incarnation#upload}), which the producer wrote
     * with plain pipelined {@code SET}s just before. ARGV: incarnation, batch sequence, storage time (19-digit
     * nanoseconds), count, the prefix of the partition's value keys ({@link RedisKeys.Incarnation#values}), then per
     * event: metadata, explicit time or '', data size, chunk size (0: one field), number of values n, then n values
     * (data in the data hash) or, when n is negative, nothing (its -n values are the next temporary keys: they are
     * renamed into place, which moves them without copying, and the entry gets the field {@code v}). Returns the first
     * EventID (the earlier answer for a re-sent batch). The state hash holds the incarnation from the topic's creation
     * until its deletion, which is how an append to a deleted topic is refused without touching a key of another
     * slot. Nothing is written before every check passed (a script's error does not undo its earlier writes); a
     * batch refused or answered from the dedup hash removes its temporary keys.
     */
    static final RedisScripts APPEND = new RedisScripts("""
            local function dropUploads() for j = 5, #KEYS do redis.call('UNLINK', KEYS[j]) end end
            local inc = redis.call('HGET', KEYS[3], 'inc')
            if inc ~= ARGV[1] then
              dropUploads()
              return redis.error_reply('%1$s topic deleted')
            end
            local seq = ARGV[2]
            local slot = tostring(tonumber(seq) %% 256)
            local prev = redis.call('HGET', KEYS[4], slot)
            if prev then
              local s, f = string.match(prev, '^(%%d+) (%%d+)$')
              if s == seq then
                dropUploads()
                return tonumber(f)
              end
            end
            for j = 5, #KEYS do
              if redis.call('EXISTS', KEYS[j]) == 0 then
                dropUploads()
                return redis.error_reply('%2$s ' .. KEYS[j])
              end
            end
            local nxt = tonumber(redis.call('HGET', KEYS[3], 'next') or '0')
            local last = redis.call('HGET', KEYS[3], 'ts') or '0000000000000000000'
            local now = ARGV[3]
            local count = tonumber(ARGV[4])
            local vp = ARGV[5]
            local first = nxt
            local added = 0
            local i = 6
            local u = 5
            local keyed = false
            for e = 1, count do
              local t = ARGV[i + 1]
              if t == '' then t = now end
              if t < last then t = last end
              last = t
              local n = tonumber(ARGV[i + 4])
              added = added + string.len(ARGV[i]) + tonumber(ARGV[i + 2])
              local id = string.format('%%d', nxt)
              local eid = '0-' .. string.format('%%d', nxt + 1)
              if n >= 0 then
                redis.call('XADD', KEYS[1], eid, 'm', ARGV[i], 't', t, 'z', ARGV[i + 2], 'k', ARGV[i + 3])
                if n == 1 then
                  redis.call('HSET', KEYS[2], id, ARGV[i + 5])
                else
                  for c = 0, n - 1 do redis.call('HSET', KEYS[2], id .. '.' .. c, ARGV[i + 5 + c]) end
                end
                i = i + 5 + n
              else
                for c = 0, -n - 1 do
                  local dst = vp .. id
                  if ARGV[i + 3] ~= '0' then dst = dst .. '.' .. c end
                  redis.call('RENAME', KEYS[u], dst)
                  redis.call('PERSIST', dst)
                  u = u + 1
                end
                redis.call('XADD', KEYS[1], eid, 'm', ARGV[i], 't', t, 'z', ARGV[i + 2], 'k', ARGV[i + 3], 'v', '1')
                i = i + 5
                keyed = true
              end
              nxt = nxt + 1
            end
            redis.call('HINCRBY', KEYS[3], 'bytes', added)
            redis.call('HSET', KEYS[3], 'next', string.format('%%d', nxt), 'ts', last)
            if keyed then redis.call('HSET', KEYS[3], 'v', '1') end
            redis.call('HSET', KEYS[4], slot, seq .. ' ' .. string.format('%%d', first))
            redis.call('PEXPIRE', KEYS[4], 3600000)
            return first
            """.formatted(DELETED, UPLOAD_MISSING));

    /**
     * Applies retention to a partition: drops events from the front (stream entry and data, in the data hash or in
     * value keys) while the oldest is older than the cutoff or the partition holds more than the byte limit, at most
     * 1000 per call. KEYS: stream, data, state. ARGV: cutoff (19-digit nanoseconds, or ''), byte limit (or ''),
     * incarnation, the prefix of the partition's value keys. Returns the first retained id, or -1 if the incarnation
     * is gone (nothing is written then).
     */
    static final RedisScripts TRIM = new RedisScripts(DROP_DATA + """
            if redis.call('HGET', KEYS[3], 'inc') ~= ARGV[3] then return -1 end
            local first = tonumber(redis.call('HGET', KEYS[3], 'first') or '0')
            local nxt = tonumber(redis.call('HGET', KEYS[3], 'next') or '0')
            local bytes = tonumber(redis.call('HGET', KEYS[3], 'bytes') or '0')
            local cutoff = ARGV[1]
            local maxb = tonumber(ARGV[2])
            local budget = 1000
            while first < nxt and budget > 0 do
              local id = '0-' .. string.format('%d', first + 1)
              local e = redis.call('XRANGE', KEYS[1], id, id)
              local size = 0
              if #e > 0 then
                local f = e[1][2]
                local t, z, k, m, keyed = '', 0, 0, '', false
                for j = 1, #f, 2 do
                  if f[j] == 't' then t = f[j + 1]
                  elseif f[j] == 'z' then z = tonumber(f[j + 1])
                  elseif f[j] == 'k' then k = tonumber(f[j + 1])
                  elseif f[j] == 'm' then m = f[j + 1]
                  elseif f[j] == 'v' then keyed = true end
                end
                local tooOld = cutoff ~= '' and t < cutoff
                local tooBig = maxb ~= nil and bytes > maxb
                if not tooOld and not tooBig then break end
                redis.call('XDEL', KEYS[1], id)
                dropData(KEYS[2], ARGV[4], string.format('%d', first), z, k, keyed)
                size = string.len(m) + z
              end
              bytes = bytes - size
              first = first + 1
              budget = budget - 1
            end
            redis.call('HSET', KEYS[3], 'first', string.format('%d', first), 'bytes', string.format('%d', bytes))
            return first
            """);

    /**
     * Ends a partition being deleted: removes its state hash (appends of old handles fail from then on). KEYS: state.
     * Returns 1 if the partition ever stored data in value keys (the append script marks the state hash), else 0.
     */
    static final RedisScripts END_PARTITION = new RedisScripts("""
            local keyed = redis.call('HGET', KEYS[1], 'v')
            redis.call('UNLINK', KEYS[1])
            if keyed then return 1 end
            return 0
            """);

    /**
     * Removes the value keys of up to {@code count} events of a partition being deleted, from an entry id on. KEYS:
     * stream. ARGV: the prefix of the partition's value keys, the first entry id (inclusive, or '(' and an id for
     * exclusive), count. Returns the id of the last entry looked at, in a list, or an empty list once the stream's
     * end was reached.
     */
    static final RedisScripts DROP_VALUES = new RedisScripts(DROP_DATA + """
            local e = redis.call('XRANGE', KEYS[1], ARGV[2], '+', 'COUNT', tonumber(ARGV[3]))
            for _, x in ipairs(e) do
              local s = string.match(x[1], '^0%-(%d+)$')
              local f = x[2]
              local z, k, keyed = 0, 0, false
              for j = 1, #f, 2 do
                if f[j] == 'z' then z = tonumber(f[j + 1]) or 0
                elseif f[j] == 'k' then k = tonumber(f[j + 1]) or 0
                elseif f[j] == 'v' then keyed = true end
              end
              if keyed and s then dropData(nil, ARGV[1], string.format('%d', tonumber(s) - 1), z, k, true) end
            end
            if #e < tonumber(ARGV[3]) then return {} end
            return {e[#e][1]}
            """);

    /**
     * Reads parts of data fields: Redis cannot return part of a hash field, but a script can cut it on the server,
     * so that only the selected bytes travel. KEYS: data. ARGV: triples of field, offset, length. Returns one value
     * per triple (nil for a missing field), shorter than asked if the field is.
     */
    static final RedisScripts SLICES = new RedisScripts("""
            local out = {}
            local lastf, lastv
            for i = 1, #ARGV, 3 do
              local f = ARGV[i]
              if f ~= lastf then
                lastv = redis.call('HGET', KEYS[1], f)
                lastf = f
              end
              if not lastv then
                out[#out + 1] = false
              else
                local s = tonumber(ARGV[i + 1])
                local n = tonumber(ARGV[i + 2])
                if s == 0 and n >= string.len(lastv) then out[#out + 1] = lastv
                else out[#out + 1] = string.sub(lastv, s + 1, s + n) end
              end
            end
            return out
            """);

    /**
     * Creates a topic. KEYS: meta. ARGV: incarnation, options, components, layout. Returns 1, or 0 if taken. (The
     * caller adds the name to the registry, a key of another slot.)
     */
    static final RedisScripts CREATE = new RedisScripts("""
            local t = redis.call('TYPE', KEYS[1]).ok
            if t == 'hash' then return 0 end
            if t ~= 'none' then return redis.error_reply('WRONGTYPE the key ' .. KEYS[1] .. ' holds a ' .. t) end
            redis.call('HSET', KEYS[1], 'inc', ARGV[1], 'options', ARGV[2], 'components', ARGV[3], 'layout', ARGV[4])
            return 1
            """);

    /**
     * Deletes a topic's keys in the topic's slot: its meta hash and the positions and groups of its consumer names,
     * and wakes tailing consumers. KEYS: meta, control. ARGV: the incarnation key base. Returns the incarnation, the
     * options and the layout of what it deleted (the caller deletes the partitions' keys, which may live in other
     * slots), or an empty list if the topic does not exist.
     */
    static final RedisScripts DELETE = new RedisScripts("""
            local m = redis.call('HMGET', KEYS[1], 'inc', 'options', 'layout')
            if not m[1] then return {} end
            local base = ARGV[1] .. m[1] .. ':'
            for _, name in ipairs(redis.call('SMEMBERS', base .. 'names')) do
              redis.call('UNLINK', base .. 'pos:' .. name, base .. 'group:' .. name)
            end
            redis.call('UNLINK', base .. 'names', KEYS[1])
            redis.call('XADD', KEYS[2], 'MAXLEN', '~', '16', '*', 'deleted', m[1])
            return {m[1], m[2], m[3] or 'topic'}
            """);

    /** Stores positions. KEYS: meta, positions, names. ARGV: incarnation, name, then partition, position pairs. */
    static final RedisScripts COMMIT = new RedisScripts("""
            local inc = redis.call('HGET', KEYS[1], 'inc')
            if inc ~= ARGV[1] then return redis.error_reply('%1$s topic deleted') end
            for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
            redis.call('SADD', KEYS[3], ARGV[2])
            return 1
            """.formatted(DELETED));

    /** Refreshes a lease. KEYS: lease. ARGV: token, milliseconds. Returns 1 if still held. */
    static final RedisScripts REFRESH = new RedisScripts("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
            return 0
            """);

    /** Releases a lease. KEYS: lease. ARGV: token. */
    static final RedisScripts RELEASE = new RedisScripts("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
            return 0
            """);

    /** Joins or heartbeats. KEYS: group set. ARGV: member id, session timeout (ms). Server time decides. */
    static final RedisScripts HEARTBEAT = new RedisScripts("""
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
            return 1
            """);

    /** Lists the live members (unsorted). KEYS: group set. Drops the expired ones first. */
    static final RedisScripts MEMBERS = new RedisScripts("""
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
            return redis.call('ZRANGE', KEYS[1], 0, -1)
            """);

    /**
     * Takes a lease for a group member. KEYS: lease, group set. ARGV: member id, value ("member token"), lease ms.
     * Returns 1 if taken: the key is free, or held by a member that is no longer live.
     */
    static final RedisScripts MEMBER_LEASE = new RedisScripts("""
            local cur = redis.call('GET', KEYS[1])
            if cur then
              local sp = string.find(cur, ' ', 1, true)
              if not sp then return 0 end
              local holder = string.sub(cur, 1, sp - 1)
              local t = redis.call('TIME')
              local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
              local score = redis.call('ZSCORE', KEYS[2], holder)
              if score and tonumber(score) >= now then return 0 end
            end
            redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
            return 1
            """);

    final String text;
    final String sha;

    private RedisScripts(String text) {
        this.text = text;
        try {
            this.sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is missing from this JDK", e);
        }
    }

    /** Runs the script by SHA-1, sending its text if the server does not know it. Returns its integer answer. */
    CompletableFuture<Long> run(RedisClusterAsyncCommands<String, Object> redis, String[] keys, Object... args) {
        return run(redis, ScriptOutputType.INTEGER, keys, args);
    }

    /** Runs a script whose answer is a list. */
    CompletableFuture<List<Object>> runList(RedisClusterAsyncCommands<String, Object> redis, String[] keys, Object... args) {
        return run(redis, ScriptOutputType.MULTI, keys, args);
    }

    private <T> CompletableFuture<T> run(RedisClusterAsyncCommands<String, Object> redis, ScriptOutputType type,
            String[] keys, Object... args) {
        return redis.<T>evalsha(sha, type, keys, args).toCompletableFuture()
                .exceptionallyCompose(e -> {
                    Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                            ? e.getCause() : e;
                    if (c instanceof RedisNoScriptException
                            || (c.getMessage() != null && c.getMessage().startsWith("NOSCRIPT"))) {
                        return redis.<T>eval(text, type, keys, args).toCompletableFuture();
                    }
                    return CompletableFuture.failedFuture(c);
                });
    }
}
