package backend

import "github.com/redis/go-redis/v9"

// StateConfig is what several replicas share ([state] in backend.toml).
type StateConfig struct {
	// SecretEnv names the environment variable holding the secret that
	// signs upload tokens; every replica needs the same value. Unset: a
	// secret generated into state_dir (or, without one, per process).
	SecretEnv string `toml:"secret_env"`
	// RedisURL ("redis://host:6379/0") keeps per-user rate limits and file
	// quotas in Redis so that all replicas grant one quota. Unset: in
	// process, per replica.
	RedisURL string `toml:"redis_url"`
}

func (c StateConfig) validate(bad func(key, format string, args ...any) error) error {
	if c.SecretEnv != "" && !validEnvName(c.SecretEnv) {
		return bad("state.secret_env", "want the name of an environment variable, got %q", c.SecretEnv)
	}
	if c.RedisURL != "" {
		if _, err := redis.ParseURL(c.RedisURL); err != nil {
			// The parser's error may quote the URL, password included.
			return bad("state.redis_url", "want redis://[user:password@]host:port[/db] or rediss://…")
		}
	}
	return nil
}

func validEnvName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}
