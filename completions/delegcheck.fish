complete -c delegcheck -s f -l file -d 'Read server names from a file, one per line (`#` starts a comment; `-` is stdin); at most 1000000 lines of at most 4096 bytes, or it is a usage error' -r -F
complete -c delegcheck -l format -d 'Output format' -r -f -a "human\t'A coloured report for a person'
json\t'One pretty JSON document: an object for one server name argument, an array for -f or several names'
jsonl\t'One compact JSON report per line, streamed as each check completes'
prometheus\t'Prometheus textfile-collector metrics'
nagios\t'A Nagios/Icinga plugin status line with perfdata'"
complete -c delegcheck -l color -d 'When to colour the human report (overrides NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t'Colour when stdout is a terminal, honouring NO_COLOR, CLICOLOR and CLICOLOR_FORCE'
always\t'Always colour'
never\t'Never colour'"
complete -c delegcheck -s o -l output -d 'Write the output to PATH (atomically: a temporary file, then a rename)' -r -F
complete -c delegcheck -l resolver -d 'Ask this DNS server instead of the system\'s resolver' -r
complete -c delegcheck -l ca-file -d 'Trust the certificates in this PEM file too (repeatable)' -r -F
complete -c delegcheck -l connect-to -d 'Connect to ADDR2:PORT2 instead of HOST1:PORT1, keeping names, SNI and Host (curl\'s meaning; empty HOST1 or PORT1 match any; repeatable)' -r
complete -c delegcheck -l timeout -d 'Overall deadline per server name (e.g. 10s, 1500ms, 1m)' -r
complete -c delegcheck -l step-timeout -d 'Longest any one network step may take (DNS query, connect, handshake, response); at most --timeout. Default: 5s, or half of --timeout when that is shorter, so that one black-holed step leaves time for the steps after it' -r
complete -c delegcheck -s j -l jobs -d 'Check at most N server names at once' -r
complete -c delegcheck -l explain -d 'Print the long explanation of a finding code (`list` lists them all)' -r
complete -c delegcheck -l demo -d 'Run the built-in offline lab: every scenario, or one by name (`list` lists them)' -r
complete -c delegcheck -l generate -d 'Print a generated file: the man page, a shell completion script or the report\'s JSON Schema' -r -f -a "man\t'The man page (roff)'
complete-bash\t'Bash completion'
complete-zsh\t'Zsh completion'
complete-fish\t'Fish completion'
complete-elvish\t'Elvish completion'
complete-powershell\t'PowerShell completion'
schema\t'The JSON Schema of the JSON output (one report, or an array of reports)'"
complete -c delegcheck -l baseline -d 'Compare with a previous run: a report, a JSON array of them or a JSON Lines file, as --format json/jsonl wrote it (at most 128 MiB). What changed per server name goes in the report (`changes`; a "Changes" section)' -r -F
complete -c delegcheck -s v -l verbose -d 'Show full reports for every server name in a batch, not only for failures'
complete -c delegcheck -l no-system-roots -d 'Trust only the --ca-file certificates, not the system\'s roots'
complete -c delegcheck -s 4 -d 'Connect over IPv4 only, as an IPv4-only server would (DNS is still asked for both families and shown as answered)'
complete -c delegcheck -s 6 -d 'Connect over IPv6 only, as an IPv6-only server would (DNS is still asked for both families and shown as answered)'
complete -c delegcheck -l public-only -d 'Connect to public addresses only: refuse private, loopback and other special-purpose addresses from DNS, IP literals and redirects (for hosted and shared use). What is refused is "not checked", never failed'
complete -c delegcheck -l strict -d 'Fail (exit 1) on warnings too'
complete -c delegcheck -l fail-on-change -d 'Exit 1 when anything but info changed since the --baseline (not with --format nagios)'
complete -c delegcheck -s h -l help -d 'Print help (see more with \'--help\')'
complete -c delegcheck -s V -l version -d 'Print version'
