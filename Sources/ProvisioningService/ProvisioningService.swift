// ProvisioningService: see README.md
