
use builtin;
use str;

set edit:completion:arg-completer[delegcheck] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'delegcheck'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'delegcheck'= {
            cand -f 'Read server names from a file, one per line (`#` starts a comment; `-` is stdin); at most 1000000 lines of at most 4096 bytes, or it is a usage error'
            cand --file 'Read server names from a file, one per line (`#` starts a comment; `-` is stdin); at most 1000000 lines of at most 4096 bytes, or it is a usage error'
            cand --format 'Output format'
            cand --color 'When to colour the human report (overrides NO_COLOR, CLICOLOR and CLICOLOR_FORCE); `always` colours a `-o` file too'
            cand -o 'Write the output to PATH (atomically: a temporary file, then a rename)'
            cand --output 'Write the output to PATH (atomically: a temporary file, then a rename)'
            cand --resolver 'Ask this DNS server instead of the system''s resolver'
            cand --ca-file 'Trust the certificates in this PEM file too (repeatable)'
            cand --connect-to 'Connect to HOST2:PORT2 instead of HOST1:PORT1, keeping names, SNI and Host (curl''s meaning; HOST2 is an address or a host name; empty HOST1 or PORT1 match any; a HOST1 DNS has no address for takes HOST2''s; repeatable)'
            cand --resolve 'Answer HOST''s address lookups with ADDR instead of asking DNS, keeping names, SNI and Host (curl''s meaning): checks a server whose records do not exist yet (repeatable)'
            cand -t 'Overall deadline per server name (e.g. 10s, 1500ms, 1m; -t as in monitoring plugins)'
            cand --timeout 'Overall deadline per server name (e.g. 10s, 1500ms, 1m; -t as in monitoring plugins)'
            cand --step-timeout 'Longest any one network step may take (DNS query, connect, handshake, response); at most --timeout. Default: 5s, or half of --timeout when that is shorter, so that one black-holed step leaves time for the steps after it'
            cand --warn-cert-days 'A certificate with fewer whole days left is `tls-expiring` (Nagios WARNING; the perfdata''s warning range `N:`)'
            cand --crit-cert-days 'A certificate with fewer whole days left is `tls-expiring-soon` (Nagios CRITICAL; the perfdata''s critical range `N:`). At most --warn-cert-days'
            cand --warn-duration 'Nagios WARNING when the check took longer (perfdata `''time''=…s;W;C;0`)'
            cand --crit-duration 'Nagios CRITICAL when the check took longer. At least --warn-duration'
            cand -j 'Check at most N server names at once'
            cand --jobs 'Check at most N server names at once'
            cand --explain 'Print the long explanation of a finding code (`list` lists them all)'
            cand --demo 'Run the built-in offline lab: every scenario, or one by name (`list` lists them)'
            cand --generate 'Print a generated file: the man page, a shell completion script or the report''s JSON Schema'
            cand --baseline 'Compare with a previous run: a report, a JSON array of them or a JSON Lines file, as --format json/jsonl wrote it (at most 128 MiB). What changed per server name goes in the report (`changes`; a "Changes" section)'
            cand --fix-for 'Write the "How to fix" snippets for this software, whatever answered (by default the one the Server header or error pages identify, nginx when nothing does). With --explain CODE: the fix''s generic form for it'
            cand --upstream 'Where the homeserver''s plain-HTTP listener is, for the proxy snippets'
            cand --ascii 'ASCII only in the human report: OK/FAIL/WARN instead of ✓/✗/! (the default when the locale, LC_ALL, LC_CTYPE or LANG, is not UTF-8)'
            cand -v 'Full reports for passing servers too (the whole discovery trace and every check), and in a batch for every server name, not only for failures'
            cand --verbose 'Full reports for passing servers too (the whole discovery trace and every check), and in a batch for every server name, not only for failures'
            cand -q 'One line per server name: `NAME GOOD`, `NAME WARN codes`, `NAME BAD codes`, `NAME UNKNOWN reason` or `NAME INVALID` (the human format, shortened; exit codes are unchanged)'
            cand --quiet 'One line per server name: `NAME GOOD`, `NAME WARN codes`, `NAME BAD codes`, `NAME UNKNOWN reason` or `NAME INVALID` (the human format, shortened; exit codes are unchanged)'
            cand --trace 'Write every exchange to stderr once the check is done, in the order it happened and with timings: DNS questions and answers with TTLs, TCP connects, TLS handshakes (version, cipher, ALPN, certificates) and HTTP requests and responses (headers, bodies cut short); for a support thread'
            cand --show-certs 'With the trace, each certificate chain as PEM too (implies --trace)'
            cand --no-system-roots 'Trust only the --ca-file certificates, not the system''s roots'
            cand -4 'Connect over IPv4 only, as an IPv4-only server would (DNS is still asked for both families and shown as answered)'
            cand -6 'Connect over IPv6 only, as an IPv6-only server would (DNS is still asked for both families and shown as answered)'
            cand --public-only 'Connect to public addresses only: refuse private, loopback and other special-purpose addresses from DNS, IP literals and redirects (for hosted and shared use). What is refused is "not checked", never failed'
            cand --no-client 'Check federation only: skip client discovery (/.well-known/matrix/client, the client API behind it, CORS for web clients), which otherwise runs beside it'
            cand --strict 'Fail (exit 1) on warnings too'
            cand --fail-on-change 'Exit 1 when anything but info changed since the --baseline (not with --format nagios)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand serve 'Run a self-hosted federation tester: the federation tester''s API (/api/report, /api/federation-ok), delegcheck''s JSON report (/api/v1/report), a Prometheus probe (/probe?target=NAME), the server''s metrics (/metrics) and a web page (/). The same checks as the command line; public addresses only unless --allow-private'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'delegcheck;serve'= {
            cand --listen 'Listen on this address and port'
            cand --cache-ttl 'How long a result is served from the cache (0s: no cache); `refresh=1` bypasses it, within --refresh-limit'
            cand --max-checks 'Most checks running at once; a request that needs another gets 429 (no queue)'
            cand --max-requests 'Most requests answered at once (checks, cache hits, pages); past that, 503'
            cand --rate-limit 'Check requests per minute per client (an IPv4 address or an IPv6 /64); past that, 429 with Retry-After. 0: no limit'
            cand --refresh-limit 'Cache bypasses (`refresh=1`) per minute per client'
            cand --real-ip-header 'Behind a reverse proxy: the header it puts the client''s address in (e.g. X-Real-IP, X-Forwarded-For: only its right-most element counts, and when that is not an address, the connection''s). Only set it when every request comes through that proxy'
            cand --resolver 'Ask this DNS server instead of the system''s resolver'
            cand --ca-file 'Trust the certificates in this PEM file too (repeatable)'
            cand --connect-to 'Connect to HOST2:PORT2 instead of HOST1:PORT1, keeping names, SNI and Host (curl''s meaning; HOST2 is an address or a host name; empty HOST1 or PORT1 match any; a HOST1 DNS has no address for takes HOST2''s; repeatable)'
            cand --resolve 'Answer HOST''s address lookups with ADDR instead of asking DNS, keeping names, SNI and Host (curl''s meaning): checks a server whose records do not exist yet (repeatable)'
            cand -t 'Overall deadline per server name (e.g. 10s, 1500ms, 1m; -t as in monitoring plugins)'
            cand --timeout 'Overall deadline per server name (e.g. 10s, 1500ms, 1m; -t as in monitoring plugins)'
            cand --step-timeout 'Longest any one network step may take (DNS query, connect, handshake, response); at most --timeout. Default: 5s, or half of --timeout when that is shorter, so that one black-holed step leaves time for the steps after it'
            cand --allow-private 'Check private, loopback and other non-public addresses too (for an internal deployment); by default every non-public address is refused with an explanation'
            cand --no-access-log 'No access-log line per request on stderr'
            cand --no-system-roots 'Trust only the --ca-file certificates, not the system''s roots'
            cand -4 'Connect over IPv4 only, as an IPv4-only server would (DNS is still asked for both families and shown as answered)'
            cand -6 'Connect over IPv6 only, as an IPv6-only server would (DNS is still asked for both families and shown as answered)'
            cand --public-only 'Connect to public addresses only: refuse private, loopback and other special-purpose addresses from DNS, IP literals and redirects (for hosted and shared use). What is refused is "not checked", never failed'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'delegcheck;help'= {
            cand serve 'Run a self-hosted federation tester: the federation tester''s API (/api/report, /api/federation-ok), delegcheck''s JSON report (/api/v1/report), a Prometheus probe (/probe?target=NAME), the server''s metrics (/metrics) and a web page (/). The same checks as the command line; public addresses only unless --allow-private'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'delegcheck;help;serve'= {
        }
        &'delegcheck;help;help'= {
        }
    ]
    $completions[$command]
}
