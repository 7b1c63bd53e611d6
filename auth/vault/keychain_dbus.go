//go:build linux || freebsd || openbsd || netbsd || dragonfly

package vault

import (
	"context"
	"errors"
	"slices"

	"github.com/godbus/dbus/v5"
)

const (
	secretsName       = "org.freedesktop.secrets"
	secretsPath       = dbus.ObjectPath("/org/freedesktop/secrets")
	secretsLoginPath  = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	secretsService    = "org.freedesktop.Secret.Service"
	secretsCollection = "org.freedesktop.Secret.Collection"
)

// probe checks, on a private connection bounded by ctx, that the session bus
// answers, that a Secret Service is running or activatable, and that the
// collection go-keyring will use exists and is unlocked. go-keyring itself
// would pop an unlock prompt and wait for it forever, or autolaunch a bus.
func probe(ctx context.Context) error {
	conn, err := dbus.SessionBusPrivateNoAutoStartup(dbus.WithContext(ctx))
	if err != nil {
		return &KeychainError{Cause: ErrNoDBusSession, Err: err}
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return &KeychainError{Cause: ErrNoDBusSession, Err: err}
	}
	if err := conn.Hello(); err != nil {
		return &KeychainError{Cause: ErrNoDBusSession, Err: err}
	}

	var owned bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, secretsName).Store(&owned); err != nil {
		return &KeychainError{Cause: ErrNoDBusSession, Err: err}
	}
	if !owned {
		var names []string
		if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&names); err != nil {
			return &KeychainError{Cause: ErrNoDBusSession, Err: err}
		}
		if !slices.Contains(names, secretsName) {
			return &KeychainError{Cause: ErrNoSecretService}
		}
	}

	// go-keyring uses the "login" collection if it exists, else the default alias.
	svc := conn.Object(secretsName, secretsPath)
	v, err := svc.GetProperty(secretsService + ".Collections")
	if err != nil {
		return classify("", err)
	}
	paths, _ := v.Value().([]dbus.ObjectPath)
	collection := secretsLoginPath
	if !slices.Contains(paths, collection) {
		if err := svc.CallWithContext(ctx, secretsService+".ReadAlias", 0, "default").Store(&collection); err != nil {
			return classify("", err)
		}
		if collection == "/" {
			return &KeychainError{Cause: ErrNoSecretService, Err: errors.New("it has no login or default collection")}
		}
	}
	locked, err := conn.Object(secretsName, collection).GetProperty(secretsCollection + ".Locked")
	if err != nil {
		return classify("", err)
	}
	if b, _ := locked.Value().(bool); b {
		return &KeychainError{Cause: ErrKeychainLocked}
	}
	return nil
}
