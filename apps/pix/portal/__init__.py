"""The customer portal's Pix pages (server-rendered views, forms and their reads)."""
