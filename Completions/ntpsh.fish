function __ntpsh_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __ntpsh_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __ntpsh_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __ntpsh_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __ntpsh_parse_tokens -S
    set -l unparsed_tokens (__ntpsh_tokens -pc)
    switch $unparsed_tokens[1]
    case 'ntpsh'
        __ntpsh_parse_subcommand 0 'c/config=' 'clock=' 'listen=+' 'port=' 'e/execute=+' 'f/file=' 'keep-going' 'json' 'daemon' 'control-socket=' 'u/user=' 'sandbox' 'attach=' 'g' 'x' 'q' 'yes' 'check-config' 'lab=' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __ntpsh_parse_subcommand -r 1 'version'
        end
    end
end

function __ntpsh_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __ntpsh_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __ntpsh_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __ntpsh_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__ntpsh_tokens -p)
    if test -z "$(__ntpsh_tokens -t)"
        set -l index (count (__ntpsh_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'ntpsh' -f
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh" c config' -s 'c' -l 'config' -d 'Configuration file (ntp.conf syntax).' -rF
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh" clock' -l 'clock' -d 'Clock to discipline: system (the OS clock; needs CAP_SYS_TIME), observe (read the OS clock, never change it), simulated, or auto (system when permitted, else observe).' -rfka 'auto system observe simulated'
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh"' -l 'listen' -d 'Address to serve on (repeatable). Default: every IPv4 and IPv6 address.' -rfka ''
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh" port' -l 'port' -d 'UDP port for NTP (default 123; 0 serves nothing). With --lab: serve the lab\'s time on loopback (127.0.0.1, or --listen) at this port.' -rfka ''
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh"' -s 'e' -l 'execute' -d 'Run this command (repeatable), then exit.' -rfka '(__ntpsh_custom_completion ---completion -- --execute (count (__ntpsh_tokens -pc)) (__ntpsh_tokens -tC))'
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh" f file' -s 'f' -l 'file' -d 'Run the commands in this file (\'-\': standard input), then exit.' -rF
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh" keep-going' -l 'keep-going' -d 'Go on after a failing command in a batch.'
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh" json' -l 'json' -d 'Every view prints JSON.'
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh" daemon' -l 'daemon' -d 'Run the engine without a shell, in the foreground, logging to stderr, until SIGTERM or SIGINT.'
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh" control-socket' -l 'control-socket' -d 'With --daemon: serve the shell\'s commands on this Unix socket (mode 0660; changes need root, the engine\'s user or the socket\'s group). Default under systemd: $RUNTIME_DIRECTORY/ntpsh.sock.' -rF
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh" u user' -s 'u' -l 'user' -d 'With --daemon: after binding its sockets and reading the configuration, run as this user (and group; default the user\'s own), keeping only CAP_SYS_TIME and CAP_NET_BIND_SERVICE (as ntpd -u).' -rfka ''
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh" sandbox' -l 'sandbox' -d 'With --daemon: once started (and after -u), confine the process with a seccomp allow-list of the system calls it makes; dangerous calls fail, unknown ones kill it (also NTPSH_SANDBOX=1).'
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh" attach' -l 'attach' -d 'Attach the shell (or -e/-f) to a running engine through its control socket (default /run/ntpsh/ntpsh.sock); exit status 2 if the engine goes away.' -rF
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh" g' -s 'g' -d 'Allow the first clock correction to exceed the panic threshold (1000 s).'
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh" x' -s 'x' -d 'Never step the clock; slew every correction.'
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh" q' -s 'q' -d 'Set the clock once, then exit (as ntpd -q).'
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh" yes' -l 'yes' -d 'Do not ask before stepping or slewing the system clock.'
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh" check-config' -l 'check-config' -d 'Check the configuration file and exit: 0 when it is valid, 2 when not.'
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh" lab' -l 'lab' -d 'Open a training lab: a simulated world in virtual time, its servers added with \'lab server add\'. With a name, run that lab\'s script (unattended when standard input is not a terminal; status 0 only if every expect holds); \'list\' lists the labs.' -rfka 'list server-tutorial client-tutorial lan-client ntpd-vs-ntpdate falseticker drift-file why-unsynchronised safe-change nts-mitm'
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh" version' -l 'version' -d 'Show the version.'
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_positional "ntpsh" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'ntpsh' -n '__ntpsh_should_offer_completions_for_flags_or_options "ntpsh help" version' -l 'version' -d 'Show the version.'
