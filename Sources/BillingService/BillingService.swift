// BillingService: see README.md
