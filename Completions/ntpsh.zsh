#compdef ntpsh

__ntpsh_complete() {
    local -ar non_empty_completions=("${@:#(|:*)}")
    local -ar empty_completions=("${(M)@:#(|:*)}")
    _describe -V '' non_empty_completions -- empty_completions -P $'\'\''
}

__ntpsh_custom_complete() {
    local -a completions
    completions=("${(@f)"$("${command_name}" "${@}" "${command_line[@]}")"}")
    if [[ "${#completions[@]}" -gt 1 ]]; then
        __ntpsh_complete "${completions[@]:0:-1}"
    fi
}

__ntpsh_cursor_index_in_current_word() {
    if [[ -z "${QIPREFIX}${IPREFIX}${PREFIX}" ]]; then
        printf 0
    else
        printf %s "${#${(z)LBUFFER}[-1]}"
    fi
}

_ntpsh() {
    emulate -RL zsh -G
    setopt extendedglob nullglob numericglobsort
    unsetopt aliases banghist

    local -xr SAP_SHELL=zsh
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(builtin emulate zsh -c 'printf %s "${ZSH_VERSION}"')"
    local -r SAP_SHELL_VERSION

    local context state state_descr line
    local -A opt_args

    local -r command_name="${words[1]}"
    local -ar command_line=("${words[@]}")
    local -ir current_word_index="$((CURRENT - 1))"

    local -i ret=1
    local -ar ___clock=('auto' 'system' 'observe' 'simulated')
    local -ar ___lab=('list' 'server-tutorial' 'client-tutorial' 'lan-client' 'ntpd-vs-ntpdate' 'falseticker' 'drift-file' 'why-unsynchronised' 'safe-change' 'nts-mitm')
    local -ar arg_specs=(
        '(-c --config)'{-c,--config}'[Configuration file (ntp.conf syntax).]:file:_files'
        '--clock[Clock to discipline\: system (the OS clock; needs CAP_SYS_TIME), observe (read the OS clock, never change it), simulated, or auto (system when permitted, else observe).]:kind:{__ntpsh_complete "${___clock[@]}"}'
        '*--listen[Address to serve on (repeatable). Default\: every IPv4 and IPv6 address.]:addr:'
        '--port[UDP port for NTP (default 123; 0 serves nothing). With --lab\: serve the lab'\''s time on loopback (127.0.0.1, or --listen) at this port.]:n:'
        '*'{-e,--execute}'[Run this command (repeatable), then exit.]:command:{__ntpsh_custom_complete ---completion -- --execute "${current_word_index}" "$(__ntpsh_cursor_index_in_current_word)"}'
        '(-f --file)'{-f,--file}'[Run the commands in this file ('\''-'\''\: standard input), then exit.]:file:_files'
        '--keep-going[Go on after a failing command in a batch.]'
        '--json[Every view prints JSON.]'
        '--daemon[Run the engine without a shell, in the foreground, logging to stderr, until SIGTERM or SIGINT.]'
        '--control-socket[With --daemon\: serve the shell'\''s commands on this Unix socket (mode 0660; changes need root, the engine'\''s user or the socket'\''s group). Default under systemd\: $RUNTIME_DIRECTORY/ntpsh.sock.]:path:_files'
        '(-u --user)'{-u,--user}'[With --daemon\: after binding its sockets and reading the configuration, run as this user (and group; default the user'\''s own), keeping only CAP_SYS_TIME and CAP_NET_BIND_SERVICE (as ntpd -u).]:user\[\:group\]:'
        '--sandbox[With --daemon\: once started (and after -u), confine the process with a seccomp allow-list of the system calls it makes; dangerous calls fail, unknown ones kill it (also NTPSH_SANDBOX=1).]'
        '--attach[Attach the shell (or -e/-f) to a running engine through its control socket (default /run/ntpsh/ntpsh.sock); exit status 2 if the engine goes away.]:path:_files'
        '-g[Allow the first clock correction to exceed the panic threshold (1000 s).]'
        '-x[Never step the clock; slew every correction.]'
        '-q[Set the clock once, then exit (as ntpd -q).]'
        '--yes[Do not ask before stepping or slewing the system clock.]'
        '--check-config[Check the configuration file and exit\: 0 when it is valid, 2 when not.]'
        '--lab[Open a training lab\: a simulated world in virtual time, its servers added with '\''lab server add'\''. With a name, run that lab'\''s script (unattended when standard input is not a terminal; status 0 only if every expect holds); '\''list'\'' lists the labs.]:name:{__ntpsh_complete "${___lab[@]}"}'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'help:Show subcommand help information.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        help)
            "_ntpsh_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_ntpsh_help() {
    local -i ret=1
    local -ar arg_specs=(
        '*:subcommands:'
        '--version[Show the version.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

if [[ "${funcstack[1]}" = _ntpsh ]]; then
    _ntpsh "${@}"
else
    compdef _ntpsh ntpsh
fi
