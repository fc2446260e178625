
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'delegcheck' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'delegcheck'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'delegcheck' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Read server names from a file, one per line (`#` starts a comment; `-` is stdin); at most 1000000 lines of at most 4096 bytes, or it is a usage error')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Read server names from a file, one per line (`#` starts a comment; `-` is stdin); at most 1000000 lines of at most 4096 bytes, or it is a usage error')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the human report (overrides NO_COLOR, CLICOLOR and CLICOLOR_FORCE); `always` colours a `-o` file too')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the output to PATH (atomically: a temporary file, then a rename)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the output to PATH (atomically: a temporary file, then a rename)')
            [CompletionResult]::new('--resolver', '--resolver', [CompletionResultType]::ParameterName, 'Ask this DNS server instead of the system''s resolver')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Trust the certificates in this PEM file too (repeatable)')
            [CompletionResult]::new('--connect-to', '--connect-to', [CompletionResultType]::ParameterName, 'Connect to HOST2:PORT2 instead of HOST1:PORT1, keeping names, SNI and Host (curl''s meaning; HOST2 is an address or a host name; empty HOST1 or PORT1 match any; a HOST1 DNS has no address for takes HOST2''s; repeatable)')
            [CompletionResult]::new('--resolve', '--resolve', [CompletionResultType]::ParameterName, 'Answer HOST''s address lookups with ADDR instead of asking DNS, keeping names, SNI and Host (curl''s meaning): checks a server whose records do not exist yet (repeatable)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Overall deadline per server name (e.g. 10s, 1500ms, 1m; -t as in monitoring plugins)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Overall deadline per server name (e.g. 10s, 1500ms, 1m; -t as in monitoring plugins)')
            [CompletionResult]::new('--step-timeout', '--step-timeout', [CompletionResultType]::ParameterName, 'Longest any one network step may take (DNS query, connect, handshake, response); at most --timeout. Default: 5s, or half of --timeout when that is shorter, so that one black-holed step leaves time for the steps after it')
            [CompletionResult]::new('--warn-cert-days', '--warn-cert-days', [CompletionResultType]::ParameterName, 'A certificate with fewer whole days left is `tls-expiring` (Nagios WARNING; the perfdata''s warning range `N:`)')
            [CompletionResult]::new('--crit-cert-days', '--crit-cert-days', [CompletionResultType]::ParameterName, 'A certificate with fewer whole days left is `tls-expiring-soon` (Nagios CRITICAL; the perfdata''s critical range `N:`). At most --warn-cert-days')
            [CompletionResult]::new('--warn-duration', '--warn-duration', [CompletionResultType]::ParameterName, 'Nagios WARNING when the check took longer (perfdata `''time''=…s;W;C;0`)')
            [CompletionResult]::new('--crit-duration', '--crit-duration', [CompletionResultType]::ParameterName, 'Nagios CRITICAL when the check took longer. At least --warn-duration')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Check at most N server names at once')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Check at most N server names at once')
            [CompletionResult]::new('--explain', '--explain', [CompletionResultType]::ParameterName, 'Print the long explanation of a finding code (`list` lists them all)')
            [CompletionResult]::new('--demo', '--demo', [CompletionResultType]::ParameterName, 'Run the built-in offline lab: every scenario, or one by name (`list` lists them)')
            [CompletionResult]::new('--generate', '--generate', [CompletionResultType]::ParameterName, 'Print a generated file: the man page, a shell completion script or the report''s JSON Schema')
            [CompletionResult]::new('--baseline', '--baseline', [CompletionResultType]::ParameterName, 'Compare with a previous run: a report, a JSON array of them or a JSON Lines file, as --format json/jsonl wrote it (at most 128 MiB). What changed per server name goes in the report (`changes`; a "Changes" section)')
            [CompletionResult]::new('--fix-for', '--fix-for', [CompletionResultType]::ParameterName, 'Write the "How to fix" snippets for this software, whatever answered (by default the one the Server header or error pages identify, nginx when nothing does). With --explain CODE: the fix''s generic form for it')
            [CompletionResult]::new('--upstream', '--upstream', [CompletionResultType]::ParameterName, 'Where the homeserver''s plain-HTTP listener is, for the proxy snippets')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'ASCII only in the human report: OK/FAIL/WARN instead of ✓/✗/! (the default when the locale, LC_ALL, LC_CTYPE or LANG, is not UTF-8)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Full reports for passing servers too (the whole discovery trace and every check), and in a batch for every server name, not only for failures')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Full reports for passing servers too (the whole discovery trace and every check), and in a batch for every server name, not only for failures')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'One line per server name: `NAME GOOD`, `NAME WARN codes`, `NAME BAD codes`, `NAME UNKNOWN reason` or `NAME INVALID` (the human format, shortened; exit codes are unchanged)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'One line per server name: `NAME GOOD`, `NAME WARN codes`, `NAME BAD codes`, `NAME UNKNOWN reason` or `NAME INVALID` (the human format, shortened; exit codes are unchanged)')
            [CompletionResult]::new('--trace', '--trace', [CompletionResultType]::ParameterName, 'Write every exchange to stderr once the check is done, in the order it happened and with timings: DNS questions and answers with TTLs, TCP connects, TLS handshakes (version, cipher, ALPN, certificates) and HTTP requests and responses (headers, bodies cut short); for a support thread')
            [CompletionResult]::new('--show-certs', '--show-certs', [CompletionResultType]::ParameterName, 'With the trace, each certificate chain as PEM too (implies --trace)')
            [CompletionResult]::new('--no-system-roots', '--no-system-roots', [CompletionResultType]::ParameterName, 'Trust only the --ca-file certificates, not the system''s roots')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Connect over IPv4 only, as an IPv4-only server would (DNS is still asked for both families and shown as answered)')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Connect over IPv6 only, as an IPv6-only server would (DNS is still asked for both families and shown as answered)')
            [CompletionResult]::new('--public-only', '--public-only', [CompletionResultType]::ParameterName, 'Connect to public addresses only: refuse private, loopback and other special-purpose addresses from DNS, IP literals and redirects (for hosted and shared use). What is refused is "not checked", never failed')
            [CompletionResult]::new('--no-client', '--no-client', [CompletionResultType]::ParameterName, 'Check federation only: skip client discovery (/.well-known/matrix/client, the client API behind it, CORS for web clients), which otherwise runs beside it')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Fail (exit 1) on warnings too')
            [CompletionResult]::new('--fail-on-change', '--fail-on-change', [CompletionResultType]::ParameterName, 'Exit 1 when anything but info changed since the --baseline (not with --format nagios)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run a self-hosted federation tester: the federation tester''s API (/api/report, /api/federation-ok), delegcheck''s JSON report (/api/v1/report), a Prometheus probe (/probe?target=NAME), the server''s metrics (/metrics) and a web page (/). The same checks as the command line; public addresses only unless --allow-private')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'delegcheck;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Listen on this address and port')
            [CompletionResult]::new('--cache-ttl', '--cache-ttl', [CompletionResultType]::ParameterName, 'How long a result is served from the cache (0s: no cache); `refresh=1` bypasses it, within --refresh-limit')
            [CompletionResult]::new('--max-checks', '--max-checks', [CompletionResultType]::ParameterName, 'Most checks running at once; a request that needs another gets 429 (no queue)')
            [CompletionResult]::new('--max-requests', '--max-requests', [CompletionResultType]::ParameterName, 'Most requests answered at once (checks, cache hits, pages); past that, 503')
            [CompletionResult]::new('--rate-limit', '--rate-limit', [CompletionResultType]::ParameterName, 'Check requests per minute per client (an IPv4 address or an IPv6 /64); past that, 429 with Retry-After. 0: no limit')
            [CompletionResult]::new('--refresh-limit', '--refresh-limit', [CompletionResultType]::ParameterName, 'Cache bypasses (`refresh=1`) per minute per client')
            [CompletionResult]::new('--real-ip-header', '--real-ip-header', [CompletionResultType]::ParameterName, 'Behind a reverse proxy: the header it puts the client''s address in (e.g. X-Real-IP, X-Forwarded-For: only its right-most element counts, and when that is not an address, the connection''s). Only set it when every request comes through that proxy')
            [CompletionResult]::new('--resolver', '--resolver', [CompletionResultType]::ParameterName, 'Ask this DNS server instead of the system''s resolver')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Trust the certificates in this PEM file too (repeatable)')
            [CompletionResult]::new('--connect-to', '--connect-to', [CompletionResultType]::ParameterName, 'Connect to HOST2:PORT2 instead of HOST1:PORT1, keeping names, SNI and Host (curl''s meaning; HOST2 is an address or a host name; empty HOST1 or PORT1 match any; a HOST1 DNS has no address for takes HOST2''s; repeatable)')
            [CompletionResult]::new('--resolve', '--resolve', [CompletionResultType]::ParameterName, 'Answer HOST''s address lookups with ADDR instead of asking DNS, keeping names, SNI and Host (curl''s meaning): checks a server whose records do not exist yet (repeatable)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Overall deadline per server name (e.g. 10s, 1500ms, 1m; -t as in monitoring plugins)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Overall deadline per server name (e.g. 10s, 1500ms, 1m; -t as in monitoring plugins)')
            [CompletionResult]::new('--step-timeout', '--step-timeout', [CompletionResultType]::ParameterName, 'Longest any one network step may take (DNS query, connect, handshake, response); at most --timeout. Default: 5s, or half of --timeout when that is shorter, so that one black-holed step leaves time for the steps after it')
            [CompletionResult]::new('--allow-private', '--allow-private', [CompletionResultType]::ParameterName, 'Check private, loopback and other non-public addresses too (for an internal deployment); by default every non-public address is refused with an explanation')
            [CompletionResult]::new('--no-access-log', '--no-access-log', [CompletionResultType]::ParameterName, 'No access-log line per request on stderr')
            [CompletionResult]::new('--no-system-roots', '--no-system-roots', [CompletionResultType]::ParameterName, 'Trust only the --ca-file certificates, not the system''s roots')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Connect over IPv4 only, as an IPv4-only server would (DNS is still asked for both families and shown as answered)')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Connect over IPv6 only, as an IPv6-only server would (DNS is still asked for both families and shown as answered)')
            [CompletionResult]::new('--public-only', '--public-only', [CompletionResultType]::ParameterName, 'Connect to public addresses only: refuse private, loopback and other special-purpose addresses from DNS, IP literals and redirects (for hosted and shared use). What is refused is "not checked", never failed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'delegcheck;help' {
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run a self-hosted federation tester: the federation tester''s API (/api/report, /api/federation-ok), delegcheck''s JSON report (/api/v1/report), a Prometheus probe (/probe?target=NAME), the server''s metrics (/metrics) and a web page (/). The same checks as the command line; public addresses only unless --allow-private')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'delegcheck;help;serve' {
            break
        }
        'delegcheck;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
