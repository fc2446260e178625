_delegcheck() {
    local i cur prev opts cmd
    COMPREPLY=()
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        cur="$2"
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
    fi
    prev="$3"
    cmd=""
    opts=""

    for i in "${COMP_WORDS[@]:0:COMP_CWORD}"
    do
        case "${cmd},${i}" in
            ",$1")
                cmd="delegcheck"
                ;;
            delegcheck,help)
                cmd="delegcheck__subcmd__help"
                ;;
            delegcheck,serve)
                cmd="delegcheck__subcmd__serve"
                ;;
            delegcheck__subcmd__help,help)
                cmd="delegcheck__subcmd__help__subcmd__help"
                ;;
            delegcheck__subcmd__help,serve)
                cmd="delegcheck__subcmd__help__subcmd__serve"
                ;;
            *)
                ;;
        esac
    done

    case "${cmd}" in
        delegcheck)
            opts="-f -v -q -o -4 -6 -t -j -h -V --file --format --color --ascii --verbose --quiet --output --trace --show-certs --resolver --ca-file --no-system-roots --connect-to --resolve --public-only --no-client --timeout --step-timeout --warn-cert-days --crit-cert-days --warn-duration --crit-duration --strict --jobs --explain --demo --generate --baseline --fail-on-change --fix-for --upstream --help --version serve help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -f)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "human json jsonl prometheus nagios" -- "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --output)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -o)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --resolver)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ca-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --connect-to)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --resolve)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -t)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --step-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --warn-cert-days)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --crit-cert-days)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --warn-duration)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --crit-duration)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --jobs)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -j)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --explain)
                    COMPREPLY=($(compgen -W "list name-invalid name-has-scheme name-has-path name-has-whitespace name-unbracketed-ipv6 name-port-invalid name-non-ascii name-is-user-id name-ip-literal name-explicit-port name-uppercase name-too-long name-trailing-dot well-known-absent well-known-unreachable well-known-status well-known-not-200 well-known-tls-invalid well-known-redirect well-known-redirect-long well-known-redirect-too-long well-known-redirect-loop well-known-redirect-insecure well-known-too-large well-known-large well-known-content-type well-known-not-json well-known-bom well-known-not-object well-known-missing-server well-known-server-not-string well-known-server-empty well-known-server-scheme well-known-server-path well-known-server-ipv6 well-known-server-port well-known-server-invalid well-known-server-trailing-dot well-known-duplicate-key well-known-key-case well-known-trailing-data well-known-ignored well-known-cache well-known-split-brain srv-legacy srv-legacy-mismatch srv-ignored srv-target-dot srv-target-cname srv-target-ip srv-port-zero srv-lookup-failed srv-target-no-address srv-multiple srv-order dns-no-address dns-unusable-address dns-overridden dns-no-answer dns-lookup-failed dns-no-ipv4 dns-no-ipv6 dns-private-address targets-capped dns-cname dns-tcp-failed tcp-refused tcp-timeout tcp-unreachable tls-handshake-failed tls-old-version tls-name-mismatch tls-expired tls-not-yet-valid tls-expiring tls-expiring-soon tls-unknown-issuer tls-self-signed tls-incomplete-chain tls-invalid tls-plain-http federation-version-failed federation-on-443 federation-not-routed federation-host-port federation-slow federation-upstream-down federation-redirect federation-bad-http keys-failed keys-server-name-mismatch keys-bad-signature keys-no-ed25519 keys-expired keys-expiring target-split-brain target-ipv6-broken target-ipv4-broken no-working-target no-targets deadline-exceeded well-known-family-missing not-checked client-well-known-missing client-well-known-absent client-well-known-status client-well-known-not-json client-well-known-invalid client-well-known-redirect client-well-known-bom client-content-type client-base-url-invalid client-versions-failed client-versions-unsupported client-tls-invalid client-tls-expiring client-slow client-cors-missing client-cors-redirect client-cors-preflight client-mixed-content client-identity-server-invalid client-support-absent client-support-invalid client-auth-metadata client-auth-metadata-invalid client-not-checked" -- "${cur}"))
                    return 0
                    ;;
                --demo)
                    COMPREPLY=($(compgen -W "list well-known-port-443 well-known-no-port synapse-serves-well-known srv-delegation direct-8448 reverse-proxy-443 dual-stack well-known-is-html well-known-client-file well-known-missing-port cert-for-server-name srv-cert-for-target ipv6-not-listening missing-intermediate expired-certificate proxy-not-routing vhost-without-port well-known-bom legacy-srv-only keys-wrong-server srv-target-cname well-known-redirect-http ip-literal ip-literal-port ipv6-literal ip-literal-without-ip-san explicit-port user-id-pasted url-pasted well-known-ip-literal well-known-ipv6-literal-port well-known-extra-keys well-known-text-plain well-known-redirect delegated-has-own-well-known well-known-and-srv well-known-then-srv well-known-then-srv-cert-for-target well-known-then-legacy-srv well-known-wildcard-cert well-known-404 well-known-500 well-known-204 well-known-cert-expired well-known-cert-wrong-name well-known-self-signed well-known-no-intermediate well-known-not-object well-known-empty-object well-known-server-number well-known-server-empty well-known-server-scheme well-known-server-path well-known-server-whitespace well-known-server-port-range well-known-server-port-zero well-known-server-ipv6 well-known-server-non-ascii well-known-trailing-data well-known-duplicate-key well-known-key-case well-known-too-large well-known-redirect-loop well-known-large well-known-redirect-five-hops well-known-blackhole well-known-cache-long well-known-split-brain srv-and-legacy-differ srv-down-no-legacy-fallback srv-priorities srv-target-dot srv-target-ip srv-port-zero srv-servfail srv-timeout srv-target-no-address srv-two-equal aaaa-only cname-host dns-truncated nxdomain dns-servfail tls-not-yet-valid tls-expiring tls-self-signed tls-untrusted-ca tls-plain-http tls-garbage tls-old-version tls-reset target-blackhole keys-bad-signature keys-expired keys-expiring version-html target-split-brain ipv4-broken hosting-provider hostile-strings srv-servfail-no-fallback well-known-ipv4-only private-address no-delegation-on-443 srv-vhost-for-target well-known-exact-host server-name-is-delegated-host well-known-redirect-from-bad-certificate target-split-brain-odd-one well-known-redirect-ten-hops well-known-redirect-http-other-host well-known-redirect-internal website-certificate-expired well-known-large-fallback-works well-known-redirect-to-bad-certificate well-known-private-literal deadline-well-known-blackhole-srv deadline-step-as-long-as-deadline deadline-cuts-healthy-target deadline-cuts-dns-lookup deadline-slow-redirect-chain ipv6-only-peer-no-aaaa-for-well-known ipv6-only-peer-target-has-a-only dns-zero-address dns-metadata-address well-known-redirect-metadata public-only-private-target keys-many-old-keys keys-larger-than-delegcheck-reads well-known-redirect-hop-fails proxy-upstream-down proxy-gateway-timeout federation-port-redirect body-shorter-than-content-length chunked-encoding-broken tls-sha1-certificate tls-chain-too-long dns-nodata dns-refused srv-truncated-no-tcp srv-long-answer no-dns-yet-resolve client-healthy client-404 client-html client-bom client-no-homeserver client-base-url-not-url client-base-url-http client-trailing-slash client-path-prefix client-base-url-no-dns client-versions-404 client-versions-not-json client-versions-no-array client-base-url-wrong-cert client-cors-missing-well-known client-cors-missing-api client-redirect-no-cors client-preflight-refused client-identity-valid client-identity-broken client-identity-not-url client-text-plain client-extra-keys client-support-and-oauth client-support-invalid client-ip-literal client-well-known-500 client-redirect-to-http client-auth-metadata-invalid client-versions-redirect" -- "${cur}"))
                    return 0
                    ;;
                --generate)
                    COMPREPLY=($(compgen -W "man complete-bash complete-zsh complete-fish complete-elvish complete-powershell schema" -- "${cur}"))
                    return 0
                    ;;
                --baseline)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --fix-for)
                    COMPREPLY=($(compgen -W "nginx caddy apache haproxy traefik synapse" -- "${cur}"))
                    return 0
                    ;;
                --upstream)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        delegcheck__subcmd__help)
            opts="serve help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        delegcheck__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        delegcheck__subcmd__help__subcmd__serve)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        delegcheck__subcmd__serve)
            opts="-4 -6 -t -h --listen --allow-private --cache-ttl --max-checks --max-requests --rate-limit --refresh-limit --real-ip-header --no-access-log --resolver --ca-file --no-system-roots --connect-to --resolve --public-only --timeout --step-timeout --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --listen)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --cache-ttl)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --max-checks)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --max-requests)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --rate-limit)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --refresh-limit)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --real-ip-header)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --resolver)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ca-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --connect-to)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --resolve)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -t)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --step-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
    esac
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _delegcheck -o nosort -o bashdefault -o default delegcheck
else
    complete -F _delegcheck -o bashdefault -o default delegcheck
fi
