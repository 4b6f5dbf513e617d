# ntpsh: build, test, install.
#   make                      release build (static Swift runtime)
#   make test                 the whole test suite (scripts/test.sh, as CI runs it)
#   make install              install under PREFIX (/usr/local), staged under DESTDIR
#   make uninstall            remove what install put there
# PREFIX and DESTDIR follow the usual convention: `make install DESTDIR=/tmp/stage PREFIX=/usr`.
# NTPSH_BINARY installs an already built binary instead of building one.

PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
DATADIR     ?= $(PREFIX)/share
SYSCONFDIR  ?= /etc
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
BASHDIR     ?= $(DATADIR)/bash-completion/completions
ZSHDIR      ?= $(DATADIR)/zsh/site-functions
FISHDIR     ?= $(DATADIR)/fish/vendor_completions.d
DOCDIR      ?= $(DATADIR)/doc/ntpsh

SCRATCH      ?= .build-static
NTPSH_BINARY ?= $(SCRATCH)/release/ntpsh

INSTALLED = \
	$(BINDIR)/ntpsh \
	$(MANDIR)/man1/ntpsh.1 $(MANDIR)/man5/ntpsh.conf.5 $(MANDIR)/man7/ntpsh-commands.7 \
	$(BASHDIR)/ntpsh $(ZSHDIR)/_ntpsh $(FISHDIR)/ntpsh.fish \
	$(UNITDIR)/ntpsh.service $(SYSUSERSDIR)/ntpsh.conf \
	$(DOCDIR)/ntp.conf.example

.PHONY: all build test install uninstall

all: build

build: $(NTPSH_BINARY)

$(SCRATCH)/release/ntpsh:
	swift build -c release --static-swift-stdlib --scratch-path $(SCRATCH)

test:
	bash scripts/test.sh

install: $(NTPSH_BINARY)
	install -D -m 0755 $(NTPSH_BINARY) $(DESTDIR)$(BINDIR)/ntpsh
	install -D -m 0644 Man/ntpsh.1 $(DESTDIR)$(MANDIR)/man1/ntpsh.1
	install -D -m 0644 Man/ntpsh.conf.5 $(DESTDIR)$(MANDIR)/man5/ntpsh.conf.5
	install -D -m 0644 Man/ntpsh-commands.7 $(DESTDIR)$(MANDIR)/man7/ntpsh-commands.7
	install -D -m 0644 Completions/ntpsh.bash $(DESTDIR)$(BASHDIR)/ntpsh
	install -D -m 0644 Completions/ntpsh.zsh $(DESTDIR)$(ZSHDIR)/_ntpsh
	install -D -m 0644 Completions/ntpsh.fish $(DESTDIR)$(FISHDIR)/ntpsh.fish
	install -d -m 0755 $(DESTDIR)$(UNITDIR)
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' dist/ntpsh.service.in \
		> $(DESTDIR)$(UNITDIR)/ntpsh.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ntpsh.service
	install -D -m 0644 dist/ntpsh.sysusers $(DESTDIR)$(SYSUSERSDIR)/ntpsh.conf
	install -D -m 0644 dist/ntp.conf.example $(DESTDIR)$(DOCDIR)/ntp.conf.example
	@if [ ! -e $(DESTDIR)$(SYSCONFDIR)/ntpsh/ntp.conf ]; then \
		install -D -m 0644 dist/ntp.conf.example $(DESTDIR)$(SYSCONFDIR)/ntpsh/ntp.conf; \
	fi

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/ntpsh/ntp.conf (your configuration)"
