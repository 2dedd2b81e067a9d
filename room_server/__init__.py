"""The room server: participant page over HTTP and the WebSocket endpoint (no Qt)."""
