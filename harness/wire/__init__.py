"""Ground floor: wire and storage formats every layer shares (no imports from other harness packages)."""
