// CustomerService: see README.md
