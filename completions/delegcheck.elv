
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
            cand --connect-to 'Connect to ADDR2:PORT2 instead of HOST1:PORT1, keeping names, SNI and Host (curl''s meaning; empty HOST1 or PORT1 match any; repeatable)'
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
            cand --ascii 'ASCII only in the human report: OK/FAIL/WARN instead of ✓/✗/! (the default when the locale, LC_ALL, LC_CTYPE or LANG, is not UTF-8)'
            cand -v 'Show full reports for every server name in a batch, not only for failures'
            cand --verbose 'Show full reports for every server name in a batch, not only for failures'
            cand -q 'One line per server name: `NAME GOOD`, `NAME WARN codes`, `NAME BAD codes`, `NAME UNKNOWN reason` or `NAME INVALID` (the human format, shortened; exit codes are unchanged)'
            cand --quiet 'One line per server name: `NAME GOOD`, `NAME WARN codes`, `NAME BAD codes`, `NAME UNKNOWN reason` or `NAME INVALID` (the human format, shortened; exit codes are unchanged)'
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
        }
    ]
    $completions[$command]
}
