print("app: not copied")
