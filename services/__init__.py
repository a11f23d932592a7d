"""Use cases. Each public function is one thing a user does; it owns its database transaction."""
