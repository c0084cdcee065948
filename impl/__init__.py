"""The asyncio implementation of workerjob."""
