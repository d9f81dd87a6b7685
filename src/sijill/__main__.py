from sijill.cli.main import main

main()
