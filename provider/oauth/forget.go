package oauth

// ForgetClient drops the cached copy of client id, so a change made in
// this process (an admin API update, secret rotation or removal) applies
// to its next token request; other replicas see it within clientCacheTTL.
func (e *Engine) ForgetClient(id string) {
	cc := e.store.clients
	cc.mu.Lock()
	delete(cc.entries, id)
	cc.mu.Unlock()
}
