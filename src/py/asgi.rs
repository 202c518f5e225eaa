//! ASGI driver support (to come).
